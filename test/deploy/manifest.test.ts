/** The deploy manifest: the default file, defaults, and errors that name the field and the allowed values. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  defaultUpstream,
  formatFieldPath,
  loadManifest,
  ManifestError,
  parseManifest,
  readSecrets,
  relayDeployName,
  resolveManifestPath,
} from "../../deploy/manifest.ts";
import { repositoryRoot } from "../../deploy/targets.ts";
import { temporaryFolder } from "./support.ts";

const minimal = {
  name: "chain",
  worker: { name: "chain-worker" },
  relays: [
    { id: "nf", platform: "netlify", region: "cmh" },
    { id: "vc", platform: "vercel", region: "iad1" },
  ],
};

/** The problems parseManifest reports for `input`, as `path: message` lines. */
function problemsOf(input: unknown): { path: string; message: string }[] {
  try {
    parseManifest(input, "test.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return [...(error as ManifestError).problems];
  }
  throw new Error("manifest unexpectedly valid");
}

function withRelays(...relays: unknown[]) {
  return { ...minimal, relays };
}

describe("manifest", () => {
  const folder = temporaryFolder();
  afterAll(() => folder.cleanup());

  it("loads the default deploy/manifest.yaml: one worker, a netlify relay in cmh, a vercel relay in iad1", async () => {
    const manifest = await loadManifest(path.join(repositoryRoot, "deploy/manifest.yaml"));
    expect(manifest.worker.name).toBe("gemrelay");
    expect(manifest.worker.placement?.region).toBe("gcp:us-east4");
    expect(manifest.relays.map((relay) => [relay.platform, relay.region])).toEqual([
      ["netlify", "cmh"],
      ["vercel", "iad1"],
    ]);
    expect(manifest.upstream).toBe(defaultUpstream);
  });

  it("fills defaults: upstream, weight 1, vercel maxDuration 300, secrets named after themselves, deploy names", () => {
    const manifest = parseManifest(minimal);
    expect(manifest.upstream).toBe("https://generativelanguage.googleapis.com");
    expect(manifest.relays.map((relay) => relay.weight)).toEqual([1, 1]);
    const vercel = manifest.relays[1]!;
    expect(vercel.platform === "vercel" && vercel.maxDuration).toBe(300);
    expect(manifest.secrets).toEqual({
      RELAY_TOKEN: "RELAY_TOKEN",
      AUTH_KEY: "AUTH_KEY",
      ADMIN_KEY: "ADMIN_KEY",
      GEMINI_API_KEYS: "GEMINI_API_KEYS",
    });
    expect(relayDeployName(manifest, manifest.relays[0]!)).toBe("chain-nf");
  });

  it("keeps per-relay upstream overrides (trailing slash removed) and routing/resume blocks", () => {
    const manifest = parseManifest({
      ...withRelays({ id: "nf", platform: "netlify", region: "cmh", upstream: "http://127.0.0.1:9999/hop/nf/" }),
      routing: { relays: "weighted", sticky: true },
      resume: { attempts: 3 },
    });
    expect(manifest.relays[0]!.upstream).toBe("http://127.0.0.1:9999/hop/nf");
    expect(manifest.routing).toMatchObject({ keys: "round-robin", relays: "weighted", sticky: true, maxAttempts: 6, passThrough: "auth" });
    expect(manifest.resume).toEqual({ attempts: 3 });
  });

  it("refuses an unknown routing strategy, naming the field and the allowed values", () => {
    const problems = problemsOf({ ...withRelays(), routing: { keys: "fastest" } });
    expect(problems).toEqual([{ path: "routing.keys", message: expect.stringContaining("round-robin, random, least-used, weighted") }]);
  });

  it("refuses duplicate relay ids, naming the second one", () => {
    const problems = problemsOf(
      withRelays({ id: "same", platform: "netlify", region: "cmh" }, { id: "same", platform: "vercel", region: "iad1" }),
    );
    expect(problems).toContainEqual({ path: "relays[1].id", message: expect.stringMatching(/duplicate relay id "same".*relays\[0\]\.id/) });
  });

  it("refuses an unknown platform and lists the allowed ones", () => {
    const problems = problemsOf(withRelays({ id: "a", platform: "fly", region: "iad" }));
    expect(problems).toEqual([{ path: "relays[0].platform", message: expect.stringContaining("allowed: netlify, vercel") }]);
  });

  it("refuses Vercel hkg1 with the reason and the allowed regions", () => {
    const [problem, ...rest] = problemsOf(withRelays({ id: "a", platform: "netlify", region: "cmh" }, { id: "hk", platform: "vercel", region: "hkg1" }));
    expect(rest).toEqual([]);
    expect(problem!.path).toBe("relays[1].region");
    expect(problem!.message).toMatch(/hkg1.*Hong Kong.*refused/);
    expect(problem!.message).toMatch(/User location is not supported/);
    expect(problem!.message).toMatch(/Allowed: .*iad1/);
    expect(problem!.message).not.toMatch(/Allowed: .*hkg1/);
  });

  it("refuses a region the platform does not have, listing that platform's regions", () => {
    const problems = problemsOf(withRelays({ id: "a", platform: "netlify", region: "iad1" }));
    expect(problems).toEqual([
      { path: "relays[0].region", message: expect.stringMatching(/unknown netlify region "iad1"; allowed: cmh, iad, /) },
    ]);
  });

  it("refuses a worker placement in Hong Kong and a malformed one", () => {
    expect(problemsOf({ ...minimal, worker: { name: "w", placement: { region: "gcp:asia-east2" } } })).toEqual([
      { path: "worker.placement.region", message: expect.stringMatching(/refused.*Hong Kong/) },
    ]);
    expect(problemsOf({ ...minimal, worker: { name: "w", placement: { region: "us-east4" } } })).toEqual([
      { path: "worker.placement.region", message: expect.stringContaining('"<aws|gcp|azure>:<region>"') },
    ]);
  });

  it("names every problem at once, each with its path", () => {
    const problems = problemsOf({
      worker: { name: "Bad Name", locationHint: "mars" },
      relays: [{ id: "ok", platform: "vercel", region: "sfo1", weight: 0, extra: true }],
      secrets: { AUTH_KEY: "not a variable" },
      colour: "blue",
    });
    const paths = problems.map((problem) => problem.path);
    expect(paths).toEqual(
      expect.arrayContaining(["", "name", "worker.name", "worker.locationHint", "relays[0]", "relays[0].weight", "secrets.AUTH_KEY"]),
    );
    expect(problems.find((problem) => problem.path === "")!.message).toBe('unknown field "colour"');
    expect(problems.find((problem) => problem.path === "name")!.message).toMatch(/^is required/);
    expect(problems.find((problem) => problem.path === "worker.locationHint")!.message).toMatch(/wnam, enam/);
    expect(problems.find((problem) => problem.path === "relays[0]")!.message).toBe('unknown field "extra"');
  });

  it("reports unreadable files and invalid YAML as manifest errors", async () => {
    await expect(loadManifest(path.join(folder.path, "missing.yaml"))).rejects.toThrow(/cannot read file/);
    const broken = path.join(folder.path, "broken.yaml");
    writeFileSync(broken, "name: [unclosed\n");
    await expect(loadManifest(broken)).rejects.toThrow(/not valid YAML/);
  });

  it("the error message lists each field path on its own line", () => {
    expect(() => parseManifest(withRelays({ id: "x", platform: "vercel", region: "hkg1" }), "m.yaml")).toThrow(
      /Invalid manifest m\.yaml:\n {2}- relays\[0\]\.region: /,
    );
  });

  it("chooses the manifest from --manifest, then GEMRELAY_MANIFEST, then deploy/manifest.yaml", () => {
    expect(resolveManifestPath("x.yaml", { GEMRELAY_MANIFEST: "y.yaml" })).toBe(path.resolve("x.yaml"));
    expect(resolveManifestPath(undefined, { GEMRELAY_MANIFEST: "y.yaml" })).toBe(path.resolve("y.yaml"));
    expect(resolveManifestPath(undefined, {})).toBe(path.resolve("deploy/manifest.yaml"));
  });

  it("reads secrets from the variables the manifest names, and lists the unset ones", () => {
    const manifest = parseManifest({ ...minimal, secrets: { AUTH_KEY: "MY_ACCESS_KEYS" } });
    const { values, missing } = readSecrets(manifest, { MY_ACCESS_KEYS: "sk-1", AUTH_KEY: "ignored", RELAY_TOKEN: " " });
    expect(values).toEqual({ AUTH_KEY: "sk-1" });
    expect(missing).toEqual(["secrets.RELAY_TOKEN (RELAY_TOKEN)", "secrets.ADMIN_KEY (ADMIN_KEY)", "secrets.GEMINI_API_KEYS (GEMINI_API_KEYS)"]);
  });

  it("formats field paths the way users write them", () => {
    expect(formatFieldPath(["relays", 1, "region"])).toBe("relays[1].region");
    expect(formatFieldPath([])).toBe("");
  });
});
