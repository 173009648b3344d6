/**
 * What each platform runs our code on, in one table: the Node.js major of its runtime, how long a
 * streamed answer may last there, and which Durable Object location hint sits next to a worker
 * placement region. The build, the generated configs (netlify.toml, vercel.json, wrangler.toml,
 * `.vc-config.json`), the manifest defaults, `gemrelay doctor` and the Dockerfile test all read
 * these values; change them here, then run `gemrelay configs --write`.
 *
 * Facts (checked 2026-12):
 * - Node.js 20 reached end of life on 2026-04-30 (https://nodejs.org/en/about/previous-releases).
 * - Vercel discontinued Node.js 20 on 2026-10-01; its build utilities refuse it with
 *   BUILD_UTILS_NODE_VERSION_DISCONTINUED and emit `nodejs24.x` by default
 *   (https://vercel.com/docs/functions/runtimes/node-js/node-js-versions).
 * - AWS Lambda, which runs Netlify Functions: nodejs20.x blocked for new functions from
 *   2026-08-31 and for updates from 2026-09-30; nodejs24.x deprecated 2028-04-30
 *   (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html). In Netlify Build a
 *   function's Lambda runtime follows NODE_VERSION unless AWS_LAMBDA_JS_RUNTIME is set
 *   (@netlify/zip-it-and-ship-it `getNodeRuntimeForV2`, which maps 18, 20, 22 and 24).
 * - Netlify Functions v2 always run in stream mode, cut at the 60 s synchronous limit, which is
 *   not configurable (https://docs.netlify.com/build/functions/overview/#default-deployment-options).
 * - Vercel Functions with Fluid compute: 300 s by default, `maxDuration` up to 800 s on paid plans,
 *   streaming included (https://vercel.com/docs/functions/limitations#max-duration).
 */

/** The Node.js LTS major every platform target runs on (supported until 2028-04-30). */
export const platformNodeMajor = 24;

/** Node.js majors a platform no longer accepts for new deploys: why, in one sentence. */
export const discontinuedNodeMajors: Readonly<Record<number, string>> = {
  20: "Node.js 20 is end-of-life since 2026-04-30; Vercel refuses it since 2026-10-01 and AWS Lambda (Netlify Functions) blocks nodejs20.x since 2026-08-31",
  18: "Node.js 18 is end-of-life since 2025-04-30",
};

/** Per relay platform: runtime identifiers and the longest a streamed answer may last. */
export const relayPlatformFacts = {
  netlify: {
    /** `NODE_VERSION` of the Netlify build, which a Functions v2 runtime follows. */
    nodeVersion: String(platformNodeMajor),
    /** Lambda runtime, set explicitly so an account-wide AWS_LAMBDA_JS_RUNTIME cannot pull it back. */
    lambdaRuntime: `nodejs${platformNodeMajor}.x`,
    /** Fixed: the synchronous limit, which also ends streams. */
    maxStreamSeconds: 60,
  },
  vercel: {
    /** `runtime` of `.vc-config.json`. */
    runtime: `nodejs${platformNodeMajor}.x`,
    /** Default and Hobby maximum of `maxDuration`; the relay's own `maxDuration` decides. */
    maxStreamSeconds: 300,
    /** Largest `maxDuration` (paid plans). */
    maxDurationSeconds: 800,
  },
} as const;

/** The Docker image the self-host container builds on by default (`BASE_IMAGE` overrides it). */
export const dockerBaseImage = `node:${platformNodeMajor}-bookworm-slim`;

/** Durable Object location hints (https://developers.cloudflare.com/durable-objects/reference/data-location/). */
export const locationHints = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;
export type LocationHint = (typeof locationHints)[number];

/**
 * Which location hint is next to a placement region, as `[pattern, hint]` rules tried in order.
 * The Durable Object takes its hint only at its first `get()` and never moves afterwards, and every
 * worker → object call (the per-request budget call included) pays the distance, so the hint must
 * follow the placement. Regions no rule matches get no derived hint (Cloudflare then places the
 * object near its first caller) and `gemrelay doctor` says so.
 */
const placementHintRules: readonly (readonly [RegExp, LocationHint])[] = [
  // Google Cloud (https://cloud.google.com/about/locations)
  [/^gcp:us-(east|central|south)\d+$/, "enam"],
  [/^gcp:northamerica-northeast\d+$/, "enam"],
  [/^gcp:us-west\d+$/, "wnam"],
  [/^gcp:southamerica-/, "sam"],
  [/^gcp:europe-(central2|north\d+)$/, "eeur"],
  [/^gcp:europe-/, "weur"],
  [/^gcp:australia-/, "oc"],
  [/^gcp:asia-/, "apac"],
  [/^gcp:me-/, "me"],
  [/^gcp:africa-/, "afr"],
  // AWS (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html)
  [/^aws:us-east-\d+$/, "enam"],
  [/^aws:ca-central-\d+$/, "enam"],
  [/^aws:(us-west|ca-west)-\d+$/, "wnam"],
  [/^aws:sa-/, "sam"],
  [/^aws:eu-/, "weur"],
  [/^aws:ap-southeast-(2|4)$/, "oc"],
  [/^aws:ap-/, "apac"],
  [/^aws:(me|il)-/, "me"],
  [/^aws:af-/, "afr"],
  // Azure (https://learn.microsoft.com/azure/reliability/regions-list)
  [/^azure:(eastus2?|centralus|northcentralus|southcentralus|canada(central|east))$/, "enam"],
  [/^azure:(westus[23]?|westcentralus)$/, "wnam"],
  [/^azure:brazil/, "sam"],
  [/^azure:polandcentral$/, "eeur"],
  [/^azure:(northeurope|westeurope|uk(south|west)|francecentral|germanywestcentral|switzerlandnorth|norwayeast|swedencentral|italynorth|spaincentral)$/, "weur"],
  [/^azure:australia/, "oc"],
  [/^azure:(southeastasia|japan(east|west)|korea(central|south)|(central|south|west)india)$/, "apac"],
  [/^azure:(uaenorth|qatarcentral|israelcentral)$/, "me"],
  [/^azure:southafrica/, "afr"],
];

/** The location hint next to a placement region (`gcp:us-east4` → `enam`), or undefined when none is known. */
export function locationHintForPlacement(region: string): LocationHint | undefined {
  return placementHintRules.find(([pattern]) => pattern.test(region))?.[1];
}
