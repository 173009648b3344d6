/**
 * Facts about each deployable that the build, the generated platform configs and `gemrelay dev`
 * must agree on. Change them here, then run `gemrelay configs --write`.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { relayPlatformFacts } from "./platforms.ts";

/** The repository root (this file lives in `<root>/deploy/`). */
export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Source entries, relative to the repository root (contracts in DESIGN.md "Layout"). */
export const entries = {
  worker: "relays/cloudflare/index.ts",
  netlify: "relays/netlify/handler.ts",
  vercel: "relays/vercel/index.ts",
  node: "relays/node/index.ts",
} as const;

/**
 * Workers compatibility date. It must not be later than the workerd that miniflare ships
 * (miniflare 4.20260426 → 2026-04-26), or `gemrelay dev` could not run what deploy ships.
 */
export const workerCompatibilityDate = "2026-04-01";

/** The Durable Object that holds pool state: binding name and exported class. */
export const durableObject = { binding: "POOL", className: "PoolState", migrationTag: "v1" } as const;

/**
 * Worker variable carrying the manifest's `worker.locationHint`; the worker passes it to
 * `POOL.get(id, { locationHint })` (https://developers.cloudflare.com/durable-objects/reference/data-location/).
 */
export const locationHintVariable = "POOL_LOCATION_HINT";

/**
 * Paths the Netlify function answers (`export const config.path`, URLPattern syntax,
 * https://docs.netlify.com/build/functions/configuration/#routing): every Gemini API family plus
 * the health check. Anything else is a Netlify 404, never reaching the function.
 */
export const netlifyFunctionPaths = ["/v1beta/*", "/v1/*", "/v1alpha/*", "/upload/*", "/health"] as const;

/** File name of the Netlify function (its name on Netlify is the base name: `gemrelay`). */
export const netlifyFunctionFile = "gemrelay.mjs";

/** Vercel function name in the Build Output API tree (`functions/<name>.func/`). */
export const vercelFunctionName = "relay";

/** Vercel runtime of the relay function (https://vercel.com/docs/functions/runtimes/node-js), from platforms.ts. */
export const vercelRuntime = relayPlatformFacts.vercel.runtime;
