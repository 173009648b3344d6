/**
 * The platform settings the build and the committed configs carry, checked against the platforms'
 * own tooling installed from npm (Vercel's build utilities, netlify-cli's zip-it-and-ship-it)
 * rather than against our own table alone: Node.js runtimes that deploys still accept, the
 * Durable Object next to the worker's placement, and each relay's stream limit.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadManifest, parseManifest, relayStreamLimitSeconds, workerLocationHint, ManifestError } from "../../deploy/manifest.ts";
import { checkPlatformSettings } from "../../deploy/platform-check.ts";
import { locationHintForPlacement } from "../../deploy/platforms.ts";
import { repositoryRoot } from "../../deploy/targets.ts";

const read = (relative: string) => readFileSync(path.join(repositoryRoot, relative), "utf8");
const manifest = await loadManifest(path.join(repositoryRoot, "deploy/manifest.yaml"));
const vercelBuildUtils = createRequire(path.join(repositoryRoot, "package.json"))("@vercel/build-utils") as {
  getSupportedNodeVersion(range: string): Promise<{ major: number }>;
};

describe("Node.js runtimes of the deployables", () => {
  it("the built Vercel function's runtime is one Vercel's own build utilities accept", async () => {
    const config = JSON.parse(read("dist/vercel/vercel-iad1/.vercel/output/functions/relay.func/.vc-config.json")) as { runtime: string };
    expect(config.runtime).toBe("nodejs24.x");
    const major = Number(/^nodejs(\d+)\.x$/.exec(config.runtime)![1]);
    await expect(vercelBuildUtils.getSupportedNodeVersion(`${major}.x`)).resolves.toMatchObject({ major });
    // The setting this replaced is refused the way a real `vercel build` refuses it.
    await expect(vercelBuildUtils.getSupportedNodeVersion("20.x")).rejects.toMatchObject({ code: "BUILD_UTILS_NODE_VERSION_DISCONTINUED" });
  });

  it("the committed netlify.toml builds on Node 24 and pins the Lambda runtime to it", () => {
    const toml = read("netlify.toml");
    expect(toml).toMatch(/^\s*NODE_VERSION = "24"$/m);
    expect(toml).toMatch(/^\s*AWS_LAMBDA_JS_RUNTIME = "nodejs24\.x"$/m);
  });

  it("every setting passes the checks doctor runs, and the end-of-life ones fail them", async () => {
    const checks = await checkPlatformSettings(manifest);
    expect(checks.filter((check) => check.ok === false)).toEqual([]);
    expect(checks.find((check) => check.target === "netlify relays")?.result).toBe("known to netlify-cli's zip-it-and-ship-it");
    expect(checks.find((check) => check.target === "vercel relays")?.result).toMatch(/^supported by @vercel\/build-utils/);

    const old = await checkPlatformSettings(manifest, { vercelRuntime: "nodejs20.x", netlifyLambdaRuntime: "nodejs20.x", dockerBaseImage: "node:20-bookworm-slim" });
    expect(old.filter((check) => check.ok === false).map((check) => check.target)).toEqual(["vercel relays", "netlify relays", "docker"]);
    expect(old.find((check) => check.target === "vercel relays")!.result).toMatch(/discontinued/);
  });
});

describe("the Durable Object's location hint follows the placement", () => {
  it("gcp:us-east4 (Ashburn) gives enam, in wrangler.toml and the built deploy config", () => {
    expect(workerLocationHint(manifest)).toBe("enam");
    expect(read("wrangler.toml")).toMatch(/^POOL_LOCATION_HINT = "enam"$/m);
    expect(JSON.parse(read("dist/worker/wrangler.json")).vars.POOL_LOCATION_HINT).toBe("enam");
  });

  it("has a hint for the placement regions of each cloud, and none for an unknown one", () => {
    expect(
      Object.fromEntries(
        ["gcp:us-east4", "gcp:us-west1", "gcp:europe-west3", "gcp:asia-northeast1", "gcp:australia-southeast1", "aws:us-east-1", "aws:us-west-2", "aws:eu-central-1", "aws:ap-southeast-2", "aws:sa-east-1", "azure:eastus", "azure:westeurope", "azure:southafricanorth"].map((region) => [region, locationHintForPlacement(region)]),
      ),
    ).toEqual({
      "gcp:us-east4": "enam",
      "gcp:us-west1": "wnam",
      "gcp:europe-west3": "weur",
      "gcp:asia-northeast1": "apac",
      "gcp:australia-southeast1": "oc",
      "aws:us-east-1": "enam",
      "aws:us-west-2": "wnam",
      "aws:eu-central-1": "weur",
      "aws:ap-southeast-2": "oc",
      "aws:sa-east-1": "sam",
      "azure:eastus": "enam",
      "azure:westeurope": "weur",
      "azure:southafricanorth": "afr",
    });
    expect(locationHintForPlacement("gcp:mars-north1")).toBeUndefined();
  });

  it("refuses a hand-set hint far from the placement (the old default: wnam with gcp:us-east4)", () => {
    const input = { name: "hint", worker: { name: "hint", placement: { region: "gcp:us-east4" }, locationHint: "wnam" } };
    expect(() => parseManifest(input)).toThrow(ManifestError);
    try {
      parseManifest(input);
    } catch (error) {
      expect((error as ManifestError).problems).toEqual([{ path: "worker.locationHint", message: expect.stringMatching(/next to it: "enam"/) }]);
    }
    // A hint for a placement without a rule is the way to set one by hand.
    expect(workerLocationHint(parseManifest({ name: "hint", worker: { name: "hint", placement: { region: "gcp:mars-north1" }, locationHint: "weur" } }))).toBe("weur");
  });
});

describe("stream limits per relay", () => {
  it("defaults to Netlify's 60 s and Vercel's maxDuration", () => {
    const limits = Object.fromEntries(manifest.relays.map((relay) => [relay.id, relayStreamLimitSeconds(relay)]));
    expect(limits).toEqual({ "netlify-cmh": 60, "vercel-iad1": 300 });
    const custom = parseManifest({ name: "s", worker: { name: "s" }, relays: [{ id: "v", platform: "vercel", region: "iad1", maxDuration: 800 }] });
    expect(relayStreamLimitSeconds(custom.relays[0]!)).toBe(800);
  });

  it("refuses a limit longer than the platform allows", () => {
    const problems = (relay: Record<string, unknown>) => {
      try {
        parseManifest({ name: "s", worker: { name: "s" }, relays: [relay] });
        return [];
      } catch (error) {
        return (error as ManifestError).problems.map((problem) => problem.path);
      }
    };
    expect(problems({ id: "n", platform: "netlify", region: "cmh", maxStreamSeconds: 120 })).toEqual(["relays[0].maxStreamSeconds"]);
    expect(problems({ id: "v", platform: "vercel", region: "iad1", maxDuration: 120, maxStreamSeconds: 300 })).toEqual(["relays[0].maxStreamSeconds"]);
    expect(problems({ id: "n", platform: "netlify", region: "cmh", maxStreamSeconds: 45 })).toEqual([]);
  });
});
