/**
 * `gemrelay deploy` refuses to start when the manifest or the environment is wrong — unknown
 * platform, a region Gemini refuses, duplicate relay ids, a secret variable unset, a platform token
 * missing — before anything is built (the output folder stays absent) and before any platform CLI
 * runs, with a message naming the field or variable.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createFakePlatforms } from "./fake-platforms.ts";
import { runCli, temporaryFolder, writeManifest } from "./support.ts";

const valid = {
  name: "checks",
  worker: { name: "checks-worker" },
  relays: [
    { id: "nf", platform: "netlify", region: "cmh" },
    { id: "vc", platform: "vercel", region: "iad1" },
  ],
};

const allSecrets = { RELAY_TOKEN: "rt-checks-0123456789", AUTH_KEY: "sk-checks-0123456789", ADMIN_KEY: "admin-checks-0123456789", GEMINI_API_KEYS: "AIza" + "Checks0123456789abcdefghijklmnopqrs" };

describe("gemrelay deploy: checks before anything is built", () => {
  const folder = temporaryFolder();
  const fakes = createFakePlatforms();
  afterAll(async () => {
    await fakes.stop();
    folder.cleanup();
  });

  let counter = 0;
  async function attempt(manifest: unknown, env: Record<string, string>, args: string[] = []) {
    const name = `case-${++counter}`;
    const file = writeManifest(folder.path, manifest, `${name}.yaml`);
    const outDir = path.join(folder.path, `${name}-out`);
    const cli = runCli(["deploy", "--manifest", file, "--out-dir", outDir, "--state", path.join(folder.path, `${name}-state.json`), ...args], { ...fakes.env(), ...env });
    const code = await cli.exited;
    return { code, output: cli.output(), built: existsSync(outDir) };
  }

  it.each([
    ["unknown platform", { ...valid, relays: [{ id: "x", platform: "heroku", region: "us" }] }, "relays[0].platform", "unknown platform; allowed: netlify, vercel"],
    ["a region Gemini refuses", { ...valid, relays: [{ id: "hk", platform: "vercel", region: "hkg1" }] }, "relays[0].region", 'vercel region "hkg1" (Hong Kong) is refused'],
    ["a region the platform lacks", { ...valid, relays: [{ id: "nf", platform: "netlify", region: "mars" }] }, "relays[0].region", 'unknown netlify region "mars"; allowed: cmh'],
    [
      "duplicate relay ids",
      { ...valid, relays: [valid.relays[0], { ...valid.relays[1], id: "nf" }] },
      "relays[1].id",
      'duplicate relay id "nf" (also relays[0].id)',
    ],
  ])("%s: exit 2 naming the field, nothing built, no CLI run", async (_case, manifest, field, message) => {
    const result = await attempt(manifest, allSecrets);
    expect(result.code, result.output).toBe(2);
    expect(result.output).toContain(`  - ${field}: ${message}`);
    expect(result.built).toBe(false);
    expect(fakes.calls()).toEqual([]);
  });

  it("a secret variable unset: exit 2 naming the manifest field and the variable", async () => {
    const result = await attempt({ ...valid, secrets: { AUTH_KEY: "MY_ACCESS_KEYS" } }, { ...allSecrets, AUTH_KEY: "" });
    expect(result.code, result.output).toBe(2);
    expect(result.output).toContain("  - secrets.AUTH_KEY: environment variable MY_ACCESS_KEYS is not set");
    expect(result.built).toBe(false);
    expect(fakes.calls()).toEqual([]);
  });

  it("--only <relay> needs only RELAY_TOKEN; the worker needs every secret", async () => {
    const relayOnly = await attempt(valid, { RELAY_TOKEN: allSecrets.RELAY_TOKEN }, ["--only", "nf", "--dry-run"]);
    expect(relayOnly.code, relayOnly.output).toBe(0);
    const worker = await attempt(valid, { RELAY_TOKEN: allSecrets.RELAY_TOKEN }, ["--only", "worker", "--dry-run"]);
    expect(worker.code).toBe(2);
    for (const field of ["secrets.AUTH_KEY", "secrets.ADMIN_KEY", "secrets.GEMINI_API_KEYS"]) expect(worker.output).toContain(`  - ${field}: environment variable`);
  }, 60_000);

  it("--only worker before any relay was deployed: exit 1 naming the relays, nothing built", async () => {
    const result = await attempt(valid, allSecrets, ["--only", "worker"]);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain("the worker needs the URL of every relay, and nf, vc have never been deployed");
    expect(result.output).toContain("`gemrelay deploy --only nf,vc,worker`");
    expect(result.built).toBe(false);
    expect(fakes.calls()).toEqual([]);
  });

  it("a platform token missing: exit 1 naming it and where to get it, nothing built", async () => {
    const result = await attempt(valid, { ...allSecrets, VERCEL_TOKEN: "", CLOUDFLARE_ACCOUNT_ID: "" });
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain("missing platform tokens: VERCEL_TOKEN, CLOUDFLARE_ACCOUNT_ID");
    expect(result.output).toContain("Export VERCEL_TOKEN: a token from https://vercel.com/account/tokens.");
    expect(result.built).toBe(false);
    expect(fakes.calls()).toEqual([]);
  });
});
