/**
 * Egress relay as a Vercel Function on the Node.js runtime, with the web-standard export.
 *
 * Vercel facts (https://vercel.com/docs/functions/runtimes/node-js,
 * https://vercel.com/docs/build-output-api/primitives, @vercel/node 24):
 * - `export default { fetch(request) }` gets a web Request and returns a Response; the launcher
 *   detects the `fetch` member and serves every method with it.
 * - Region at runtime: `process.env.VERCEL_REGION` (e.g. `iad1`). Pinning comes from `regions`
 *   (vercel.json, or `.vc-config.json`); default `iad1`. Never `hkg1` (Gemini refuses it).
 * - The build emits `.vercel/output/functions/<name>.func/.vc-config.json` as
 *   `{ "runtime": "nodejs24.x" (deploy/platforms.ts), "handler": "index.mjs", "launcherType": "Nodejs",
 *      "shouldAddHelpers": false, "supportsResponseStreaming": true, "maxDuration": 300,
 *      "regions": ["iad1"] }` (maxDuration 300 s default, up to 800 s on paid plans).
 * - Request bodies are limited to 4.5 MB; once streaming starts the status is fixed.
 */
import { createRelayHandler } from "../../shared/egress/relay.ts";

export default {
  /** Reads the environment per request (cheap), so tests can set it after import. */
  fetch(request: Request): Promise<Response> {
    return createRelayHandler({
      relayToken: process.env.RELAY_TOKEN,
      upstream: process.env.GEMINI_UPSTREAM,
      platform: "vercel",
      region: process.env.VERCEL_REGION ?? "unknown",
    })(request);
  },
};
