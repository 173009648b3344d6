/**
 * Offline checks of the platform settings a build emits, against the platforms' own tooling where
 * it is installed: Vercel's build utilities (`getSupportedNodeVersion`, which throws
 * BUILD_UTILS_NODE_VERSION_DISCONTINUED for a discontinued Node.js), netlify-cli's
 * zip-it-and-ship-it (which Lambda runtimes it maps), and the tables of platforms.ts otherwise.
 * `gemrelay doctor` prints them before it checks the running chain.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { relayStreamLimitSeconds, workerLocationHint, type Manifest } from "./manifest.ts";
import { discontinuedNodeMajors, dockerBaseImage, locationHintForPlacement, relayPlatformFacts } from "./platforms.ts";
import { formatTable } from "./table.ts";
import { repositoryRoot, vercelRuntime } from "./targets.ts";

/** One checked setting. `ok: null` is information, not a verdict. */
export interface PlatformCheck {
  target: string;
  setting: string;
  ok: boolean | null;
  result: string;
}

/** The settings to check; the defaults are what the build emits. */
export interface PlatformSettings {
  vercelRuntime: string;
  netlifyLambdaRuntime: string;
  dockerBaseImage: string;
}

const emitted: PlatformSettings = {
  vercelRuntime,
  netlifyLambdaRuntime: relayPlatformFacts.netlify.lambdaRuntime,
  dockerBaseImage,
};

const requireHere = createRequire(path.join(repositoryRoot, "package.json"));

function nodeMajorOf(text: string): number | undefined {
  const match = /(?:nodejs|node:)(\d+)/.exec(text);
  return match ? Number(match[1]) : undefined;
}

interface VercelBuildUtils {
  getSupportedNodeVersion(range: string): Promise<{ major: number; state?: string }>;
}

/** `.vc-config.json`'s runtime, as Vercel's own build utilities judge it (when installed). */
async function checkVercelRuntime(runtime: string): Promise<PlatformCheck> {
  const check = { target: "vercel relays", setting: `.vc-config.json runtime ${runtime}` };
  const major = nodeMajorOf(runtime);
  if (major === undefined) return { ...check, ok: false, result: "not a nodejsNN.x runtime" };
  let utils: VercelBuildUtils | undefined;
  try {
    utils = requireHere("@vercel/build-utils") as VercelBuildUtils;
  } catch {
    utils = undefined;
  }
  if (utils) {
    try {
      const version = await utils.getSupportedNodeVersion(`${major}.x`);
      return { ...check, ok: version.state !== "deprecated", result: `supported by @vercel/build-utils (${version.state ?? "active"})` };
    } catch (error) {
      return { ...check, ok: false, result: `@vercel/build-utils refuses it: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  const refused = discontinuedNodeMajors[major];
  return { ...check, ok: !refused, result: refused ?? "supported (deploy/platforms.ts; @vercel/build-utils not installed)" };
}

/** The zip-it-and-ship-it that netlify-cli bundles functions with, when installed. */
function netlifyRuntimeModule(): string | undefined {
  const candidates = ["netlify-cli/package.json", "@netlify/zip-it-and-ship-it/package.json"];
  for (const candidate of candidates) {
    try {
      const root = path.dirname(requireHere.resolve(candidate));
      const nested = candidate.startsWith("netlify-cli") ? [path.join(root, "node_modules/@netlify/zip-it-and-ship-it"), path.join(root, "../@netlify/zip-it-and-ship-it")] : [root];
      for (const folder of nested) {
        const file = path.join(folder, "dist/runtimes/node/utils/node_runtime.js");
        if (existsSync(file)) return file;
      }
    } catch {
      // not installed: try the next
    }
  }
  return undefined;
}

/** The Lambda runtime of Netlify functions: known to netlify-cli's bundler, and not end-of-life. */
async function checkNetlifyRuntime(runtime: string): Promise<PlatformCheck> {
  const check = { target: "netlify relays", setting: `AWS_LAMBDA_JS_RUNTIME / NODE_VERSION ${runtime}` };
  const major = nodeMajorOf(runtime);
  if (major === undefined) return { ...check, ok: false, result: "not a nodejsNN.x runtime" };
  const refused = discontinuedNodeMajors[major];
  if (refused) return { ...check, ok: false, result: refused };
  const file = netlifyRuntimeModule();
  if (!file) return { ...check, ok: true, result: "supported (deploy/platforms.ts; netlify-cli not installed)" };
  const module = (await import(pathToFileURL(file).href)) as { getNodeRuntime?: (input: string) => string | undefined };
  const mapped = module.getNodeRuntime?.(String(major));
  return mapped === runtime
    ? { ...check, ok: true, result: "known to netlify-cli's zip-it-and-ship-it" }
    : { ...check, ok: false, result: `netlify-cli's zip-it-and-ship-it does not know it (maps ${major} to ${mapped ?? "nothing"}): upgrade netlify-cli or choose another Node.js` };
}

/**
 * Every platform setting of `manifest`'s deployables: runtimes, the Durable Object's location
 * hint against the placement, each relay's stream limit, the container's base image.
 */
export async function checkPlatformSettings(manifest: Manifest, settings: Partial<PlatformSettings> = {}): Promise<PlatformCheck[]> {
  const chosen = { ...emitted, ...settings };
  const checks: PlatformCheck[] = [];
  if (manifest.relays.some((relay) => relay.platform === "vercel")) checks.push(await checkVercelRuntime(chosen.vercelRuntime));
  if (manifest.relays.some((relay) => relay.platform === "netlify")) checks.push(await checkNetlifyRuntime(chosen.netlifyLambdaRuntime));

  const placement = manifest.worker.placement?.region;
  const hint = workerLocationHint(manifest);
  const near = placement ? locationHintForPlacement(placement) : undefined;
  checks.push({
    target: "worker",
    setting: `POOL_LOCATION_HINT ${hint ?? "(none)"}`,
    ok: near === undefined ? null : hint === near,
    result:
      placement === undefined
        ? "no placement: the worker and its Durable Object run near the first caller"
        : near === undefined
          ? `no rule for placement ${placement}: set worker.locationHint next to it`
          : hint === near
            ? `next to placement ${placement}`
            : `placement ${placement} is next to ${near}: every worker → Durable Object call crosses the distance`,
  });

  for (const relay of manifest.relays) {
    const seconds = relayStreamLimitSeconds(relay);
    const why = relay.platform === "netlify" ? "Netlify's fixed synchronous limit" : `maxDuration ${relay.maxDuration} s`;
    checks.push({ target: `relay ${relay.id}`, setting: `stream limit ${seconds} s`, ok: null, result: `${why}: a longer answer is cut there and continued by resume` });
  }

  const dockerMajor = nodeMajorOf(chosen.dockerBaseImage);
  const dockerRefused = dockerMajor === undefined ? undefined : discontinuedNodeMajors[dockerMajor];
  checks.push({ target: "docker", setting: `BASE_IMAGE ${chosen.dockerBaseImage}`, ok: !dockerRefused, result: dockerRefused ?? "supported LTS" });
  return checks;
}

/** The checks as a table. */
export function formatPlatformChecks(checks: readonly PlatformCheck[]): string {
  const verdict = (ok: boolean | null) => (ok === null ? "-" : ok ? "ok" : "FAIL");
  return formatTable(
    checks.map((check) => [check.target, check.setting, verdict(check.ok), check.result]),
    { header: ["target", "setting", "", "result"] },
  );
}
