/**
 * `gemrelay deploy --dry-run` with the default manifest and the real wrangler (offline): it builds,
 * checks, runs `wrangler deploy --dry-run --outdir`, prints the plan and deploys nothing. What it
 * would ship is what the tests run: the upload wrangler wrote is byte for byte dist/worker/index.js
 * (the bundle every workerd suite runs), the relay bundles equal dist's, and the dry run's own
 * folder serves the simulator end to end (worker under workerd, relays under Node).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevChain, startDevChain } from "../../deploy/dev.ts";
import { loadManifest } from "../../deploy/manifest.ts";
import { repositoryRoot } from "../../deploy/targets.ts";
import { GeminiSimulator } from "../sim/index.ts";
import { runCli, temporaryFolder } from "./support.ts";

const secrets = {
  RELAY_TOKEN: "rt-dry-run-0123456789abcdef",
  AUTH_KEY: "sk-dry-run-access-0123456789",
  ADMIN_KEY: "admin-dry-run-0123456789",
  GEMINI_API_KEYS: "AIza" + "DryRunKey0123456789abcdefghijklmnop",
};

describe("gemrelay deploy --dry-run (default manifest, real wrangler, offline)", () => {
  const folder = temporaryFolder();
  const outDir = path.join(folder.path, "out");
  const stateFile = path.join(folder.path, "state.json");
  let code: number | string;
  let output: string;

  beforeAll(async () => {
    // No platform tokens and no stand-ins: a dry run needs neither.
    const cli = runCli(["deploy", "--dry-run", "--out-dir", outDir, "--state", stateFile], { ...secrets, WRANGLER_SEND_METRICS: "false" });
    code = await cli.exited;
    output = cli.output();
  }, 120_000);

  afterAll(() => folder.cleanup());

  it("succeeds, deploys nothing and leaves no state", () => {
    expect(code, output).toBe(0);
    expect(output).toContain("==> dry run: nothing was deployed");
    expect(existsSync(stateFile)).toBe(false);
  });

  it("the upload wrangler wrote is byte for byte the worker bundle the tests run", () => {
    const uploaded = readFileSync(path.join(outDir, "worker", "upload", "index.js"));
    expect(uploaded.equals(readFileSync(path.join(repositoryRoot, "dist", "worker", "index.js")))).toBe(true);
    expect(output).toMatch(/upload \S+index\.js: \d+ bytes, identical to the built bundle/);
    expect(output).toMatch(/env\.POOL \(PoolState\)\s+Durable Object/);
    expect(output).toMatch(/env\.RELAY_URLS \("https:\/\/gemrelay-netlify-cmh\.netlify\.\S*"\)\s+Environment Variable/);
  });

  it("the relay bundles are the ones the tests run", () => {
    const same = (relative: string) => readFileSync(path.join(outDir, relative)).equals(readFileSync(path.join(repositoryRoot, "dist", relative)));
    expect(same("netlify/netlify-cmh/functions/gemrelay.mjs")).toBe(true);
    expect(same("vercel/vercel-iad1/.vercel/output/functions/relay.func/index.mjs")).toBe(true);
    expect(same("vercel/vercel-iad1/.vercel/output/functions/relay.func/.vc-config.json")).toBe(true);
    expect(readFileSync(path.join(outDir, "netlify/netlify-cmh/netlify.toml"), "utf8")).toContain('node_bundler = "none"');
  });

  it("prints every command a deploy would run, placeholders for what is not known yet, and no secret", () => {
    expect(output).toMatch(/\$ (npx --yes --package netlify-cli@26\.2\.0 )?netlify sites:create --name gemrelay-netlify-cmh --disable-linking --json/);
    expect(output).toMatch(/\$ (npx --yes --package netlify-cli@26\.2\.0 )?netlify env:import '<temporary file>' --site '<site-id>' --json\n\s+# set RELAY_TOKEN, GEMINI_UPSTREAM and AWS_LAMBDA_JS_RUNTIME; secrets via dotenv file, mode 0600/);
    expect(output).toMatch(/\$ (npx --yes --package vercel@64\.0\.2 )?vercel env add RELAY_TOKEN production --sensitive --force --yes\n\s+# set RELAY_TOKEN; secrets via stdin/);
    expect(output).toMatch(/\$ (npx --yes --package vercel@64\.0\.2 )?vercel deploy --prebuilt --prod --yes/);
    expect(output).toMatch(/\$ wrangler secret bulk '<temporary file>' --config \S+wrangler\.deploy\.json/);
    expect(output).toMatch(/^worker\s+cloudflare\s+gemrelay\s+gcp:us-east4\s+https:\/\/gemrelay\.<your-subdomain>\.workers\.dev\s+planned \(first deploy\)$/m);
    for (const secret of Object.values(secrets)) expect(output).not.toContain(secret);
  });

  describe("its artifacts serve the simulator end to end", () => {
    let sim: GeminiSimulator;
    let chain: DevChain;

    beforeAll(async () => {
      sim = await GeminiSimulator.start();
      const key = sim.createKey();
      chain = await startDevChain({
        manifest: await loadManifest(path.join(repositoryRoot, "deploy/manifest.yaml")),
        port: 0,
        outDir,
        build: false,
        stateDir: path.join(folder.path, "state"),
        log: () => undefined,
        env: { ...secrets, GEMINI_API_KEYS: key, GEMINI_UPSTREAM: sim.url },
      });
    }, 90_000);

    afterAll(async () => {
      await chain?.close();
      await sim?.close();
    });

    it("answers generateContent through the worker and each relay", async () => {
      for (let index = 0; index < 2; index++) {
        const response = await fetch(`${chain.workerUrl}/v1beta/models/gemini-2.5-flash-lite:generateContent`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-goog-api-key": secrets.AUTH_KEY },
          body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: `dry ${index}` }] }] }),
        });
        expect(response.status).toBe(200);
        expect(JSON.stringify(await response.json())).toContain(`Echo: dry ${index}`);
      }
      expect(sim.requests).toHaveLength(2);
      for (const relay of chain.relays) expect(await (await fetch(`${relay.url}/health`)).json()).toMatchObject({ ok: true, platform: relay.platform, region: relay.region });
    });
  });
});
