/**
 * `gemrelay deploy` end to end against stand-in `netlify`, `vercel` and `wrangler` executables
 * first on PATH (test/deploy/fakes). The fakes record every call and answer like the real CLIs;
 * their deploys start the bundles they are handed (relays under Node, the worker under workerd),
 * so the health checks and the final request go through the real bundles to the Gemini simulator.
 *
 * Asserted: the commands and their order, secrets never on a command line (nor in the CLIs'
 * environment) but in 0600 files or on stdin, tokens from the environment, the worker's vars,
 * the state file, an idempotent second run, `--only`, and failure reporting with redaction.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GeminiSimulator } from "../sim/index.ts";
import { createFakePlatforms, describeCall, type FakeCall, fakeTokens } from "./fake-platforms.ts";
import { runCli, temporaryFolder, writeManifest } from "./support.ts";

const relayToken = "rt-deploy-0123456789abcdef0123";
const accessKeys = ["sk-deploy-access-0123456789abcdef", "sk-deploy-second-0123456789abcdef"];
const adminKey = "admin-deploy-0123456789abcdef";

interface Run {
  code: number | string;
  output: string;
  calls: FakeCall[];
}

describe("gemrelay deploy (stand-in platform CLIs)", () => {
  const folder = temporaryFolder();
  const fakes = createFakePlatforms();
  const stateFile = path.join(folder.path, "state.json");
  const outDir = path.join(folder.path, "out");
  let sim: GeminiSimulator;
  let poolKey: string;
  let manifestFile: string;
  let secrets: string[];
  let first: Run;

  /** Runs the CLI to completion; `calls` are the fake calls this run made. */
  async function deploy(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
    const before = fakes.calls().length;
    const cli = runCli(["deploy", "--manifest", manifestFile, "--out-dir", outDir, "--state", stateFile, ...args], {
      ...fakes.env(extraEnv),
      RELAY_TOKEN: relayToken,
      CHAIN_ACCESS_KEYS: accessKeys.join(","),
      ADMIN_KEY: adminKey,
      GEMINI_API_KEYS: poolKey,
    });
    const code = await cli.exited;
    return { code, output: cli.output(), calls: fakes.calls().slice(before) };
  }

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    poolKey = sim.createKey();
    secrets = [relayToken, ...accessKeys, adminKey, poolKey];
    manifestFile = writeManifest(folder.path, {
      name: "fakechain",
      upstream: sim.url,
      worker: { name: "fakechain-worker", placement: { region: "gcp:us-east4" } },
      relays: [
        { id: "nf", platform: "netlify", region: "fra", upstream: sim.hopUrl("nf") },
        { id: "vc", platform: "vercel", region: "sfo1", weight: 2, upstream: sim.hopUrl("vc") },
      ],
      routing: { relays: "weighted" },
      secrets: { AUTH_KEY: "CHAIN_ACCESS_KEYS" },
    });
    first = await deploy(["--model", "gemini-2.5-flash"]);
  }, 180_000);

  afterAll(async () => {
    await fakes.stop();
    await sim?.close();
    folder.cleanup();
  });

  it("deploys everything, health-checks it and proves the chain with a request, exit 0", () => {
    expect(first.output).toMatch(/^worker\s+cloudflare\s+fakechain-worker\s+gcp:us-east4\s+http:\/\/127\.0\.0\.1:\d+\s+ok \(2 relays\)$/m);
    expect(first.output).toMatch(/^nf\s+netlify\s+fakechain-nf\s+fra\s+http:\/\/127\.0\.0\.1:\d+\s+ok \(fra\)$/m);
    expect(first.output).toMatch(/^vc\s+vercel\s+fakechain-vc\s+sfo1\s+http:\/\/127\.0\.0\.1:\d+\s+ok \(sfo1\)$/m);
    expect(first.output).toMatch(/chain check \(gemini-2\.5-flash\): ok, HTTP 200 in \d+ ms: Echo: Reply with the single word: pong/);
    expect(first.code, first.output).toBe(0);
  });

  it("runs the platform commands in order: relays (site/project, variables, deploy), then the worker (deploy, secrets)", () => {
    expect(first.calls.map(describeCall)).toEqual([
      "netlify sites:list",
      "netlify sites:create",
      "netlify env:import",
      "netlify deploy",
      "vercel project add",
      "vercel link",
      "vercel env add",
      "vercel env add",
      "vercel deploy",
      "wrangler deploy",
      "wrangler secret bulk",
    ]);
    const [, create, , netlifyDeploy, add, link, , , vercelDeploy, workerDeploy] = first.calls;
    expect(create!.argv).toEqual(["sites:create", "--name", "fakechain-nf", "--disable-linking", "--json"]);
    expect(netlifyDeploy!.argv).toEqual(expect.arrayContaining(["--prod", "--no-build", "--site", "site-1-0000-4000-8000-000000000000", "--json"]));
    expect(netlifyDeploy!.cwd).toBe(path.join(outDir, "netlify", "nf"));
    expect(add!.argv).toEqual(["project", "add", "fakechain-vc"]);
    expect(link!.argv).toEqual(["link", "--yes", "--project", "fakechain-vc"]);
    expect(vercelDeploy!.argv).toEqual(["deploy", "--prebuilt", "--prod", "--yes"]);
    expect(vercelDeploy!.cwd).toBe(path.join(outDir, "vercel", "vc"));
    expect(workerDeploy!.argv).toEqual(["deploy", "--config", path.join(outDir, "worker", "wrangler.deploy.json")]);
  });

  it("never puts a secret on a command line or in a CLI's environment, nor in its own output", () => {
    expect(first.calls.length).toBeGreaterThan(0);
    for (const call of first.calls) {
      const argv = call.argv.join(" ");
      const env = JSON.stringify(call.env);
      for (const secret of secrets) {
        expect(argv, `${describeCall(call)} argv`).not.toContain(secret);
        expect(env, `${describeCall(call)} environment`).not.toContain(secret);
      }
      expect(call.argv).not.toContain("--token");
    }
    for (const secret of secrets) expect(first.output).not.toContain(secret);
  });

  it("delivers secrets through 0600 files (deleted afterwards) and stdin", () => {
    const importCall = first.calls.find((call) => describeCall(call) === "netlify env:import")!;
    const [dotenvFile, dotenv] = Object.entries(importCall.files)[0]!;
    expect(dotenv.mode).toBe("600");
    expect(dotenv.content).toContain(`RELAY_TOKEN='${relayToken}'`);
    expect(dotenv.content).toContain(`GEMINI_UPSTREAM='${sim.hopUrl("nf")}'`);
    // netlify deploy picks the function's Lambda runtime from this site variable (else its default).
    expect(dotenv.content).toContain("AWS_LAMBDA_JS_RUNTIME='nodejs24.x'");
    expect(existsSync(dotenvFile)).toBe(false);

    const variables = first.calls.filter((call) => describeCall(call) === "vercel env add");
    expect(variables.map((call) => [call.argv[2], call.stdin])).toEqual([
      ["RELAY_TOKEN", relayToken],
      ["GEMINI_UPSTREAM", sim.hopUrl("vc")],
    ]);
    for (const call of variables) expect(call.argv).toEqual(expect.arrayContaining(["production", "--sensitive", "--force"]));

    const bulk = first.calls.find((call) => describeCall(call) === "wrangler secret bulk")!;
    const [secretsFile, secretsJson] = Object.entries(bulk.files).find(([file]) => file.endsWith("secrets.json"))!;
    expect(secretsJson.mode).toBe("600");
    expect(JSON.parse(secretsJson.content)).toEqual({
      GEMINI_API_KEYS: poolKey,
      AUTH_KEY: accessKeys.join(","),
      ADMIN_KEY: adminKey,
      RELAY_TOKEN: relayToken,
    });
    expect(existsSync(secretsFile)).toBe(false);
  });

  it("gives each CLI its token through the environment, and Vercel commands their project link", () => {
    for (const call of first.calls) {
      if (call.tool === "netlify") expect(call.env.NETLIFY_AUTH_TOKEN).toBe(fakeTokens.NETLIFY_AUTH_TOKEN);
      if (call.tool === "vercel") expect(call.env.VERCEL_TOKEN).toBe(fakeTokens.VERCEL_TOKEN);
      if (call.tool === "wrangler") {
        expect(call.env.CLOUDFLARE_API_TOKEN).toBe(fakeTokens.CLOUDFLARE_API_TOKEN);
        expect(call.env.CLOUDFLARE_ACCOUNT_ID).toBe(fakeTokens.CLOUDFLARE_ACCOUNT_ID);
      }
    }
    const vercel = first.calls.filter((call) => call.tool === "vercel");
    // Linking commands run without a link; the rest address the project the link recorded.
    expect(vercel.slice(0, 2).map((call) => call.env.VERCEL_PROJECT_ID)).toEqual([undefined, undefined]);
    expect(vercel.slice(2).map((call) => [call.env.VERCEL_ORG_ID, call.env.VERCEL_PROJECT_ID])).toEqual(Array(3).fill(["team_fake", "prj_fake1"]));
  });

  it("pins regions and hands the worker RELAY_URLS with weights, the routing policy and the location hint as vars", () => {
    const state = fakes.state();
    expect(state.netlify.sites.map((site) => [site.name, site.region])).toEqual([["fakechain-nf", "fra"]]);
    expect(state.vercel.projects.map((project) => [project.name, project.region])).toEqual([["fakechain-vc", "sfo1"]]);
    const recorded = JSON.parse(readFileSync(stateFile, "utf8"));
    const relays = recorded.chains.fakechain.relays;
    const vars = state.cloudflare.workers["fakechain-worker"]!.vars!;
    expect(vars.RELAY_URLS).toBe(`${relays.nf.url}#maxStreamSeconds=60,${relays.vc.url}#weight=2&maxStreamSeconds=300`);
    expect(vars).toMatchObject({ ROUTING_RELAY_STRATEGY: "weighted", POOL_LOCATION_HINT: "enam", GEMINI_UPSTREAM: sim.url });
    for (const secret of secrets) expect(JSON.stringify(vars)).not.toContain(secret);
    const config = JSON.parse(readFileSync(path.join(outDir, "worker", "wrangler.deploy.json"), "utf8"));
    expect(config).toMatchObject({ name: "fakechain-worker", main: "index.js", no_bundle: true, placement: { region: "gcp:us-east4" } });
  });

  it("records site, project and worker in the state file, and no secret", () => {
    const text = readFileSync(stateFile, "utf8");
    const chain = JSON.parse(text).chains.fakechain;
    expect(chain.relays.nf).toMatchObject({ platform: "netlify", siteId: "site-1-0000-4000-8000-000000000000", siteName: "fakechain-nf", region: "fra" });
    expect(chain.relays.vc).toMatchObject({ platform: "vercel", projectId: "prj_fake1", orgId: "team_fake", projectName: "fakechain-vc", region: "sfo1" });
    expect(chain.worker).toMatchObject({ name: "fakechain-worker" });
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it("the deployed chain is the real bundles in front of the simulator: requests reach it with the pool key over both relays", async () => {
    const worker = JSON.parse(readFileSync(stateFile, "utf8")).chains.fakechain.worker.url as string;
    sim.reset();
    for (let index = 0; index < 3; index++) {
      const response = await fetch(`${worker}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-goog-api-key": accessKeys[1]! },
        body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: `hello ${index}` }] }] }),
      });
      expect(response.status).toBe(200);
    }
    expect(sim.requests.map((request) => request.key)).toEqual([poolKey, poolKey, poolKey]);
    expect(sim.requests.every((request) => !request.keyInUrl && request.headers["x-relay-token"] === undefined)).toBe(true);
    // Weighted 1:2 over three requests: both relays served.
    expect(new Set(sim.requests.map((request) => request.hop))).toEqual(new Set(["nf", "vc"]));
  });

  describe("gemrelay doctor", () => {
    async function doctor(args: string[]) {
      const cli = runCli(["doctor", ...args], {
        PATH: process.env.PATH ?? "",
        RELAY_TOKEN: relayToken,
        CHAIN_ACCESS_KEYS: accessKeys.join(","),
        AUTH_KEY: accessKeys[0]!,
        ADMIN_KEY: adminKey,
        GEMINI_API_KEYS: poolKey,
      });
      return { code: await cli.exited, output: cli.output() };
    }

    it("checks the recorded chain hop by hop against the manifest, with timings", async () => {
      const { code, output } = await doctor(["--manifest", manifestFile, "--state", stateFile, "--model", "gemini-2.5-flash"]);
      expect(code, output).toBe(0);
      expect(output).toMatch(/^worker\s+GET \/health\s+\d+\s+ok\s+configured, 2 relays$/m);
      // The platform settings first, checked offline against the installed platform tooling.
      expect(output).toMatch(/^vercel relays\s+\.vc-config\.json runtime nodejs24\.x\s+ok\s+supported by @vercel\/build-utils/m);
      expect(output).toMatch(/^netlify relays\s+AWS_LAMBDA_JS_RUNTIME \/ NODE_VERSION nodejs24\.x\s+ok\s+known to netlify-cli's zip-it-and-ship-it$/m);
      expect(output).toMatch(/^worker\s+POOL_LOCATION_HINT enam\s+ok\s+next to placement gcp:us-east4$/m);
      expect(output).toMatch(/^relay nf\s+stream limit 60 s\s+-\s+Netlify's fixed synchronous limit/m);
      expect(output).toMatch(/^worker view\s+GET \/status\s+\d+\s+ok\s+keys: 1 active, 0 cooling, 0 disabled; relays: 127\.0\.0\.1:\d+ closed, 127\.0\.0\.1:\d+ closed$/m);
      expect(output).toMatch(/^relay nf\s+GET \/health\s+\d+\s+ok\s+netlify fra$/m);
      expect(output).toMatch(/^relay vc → Gemini\s+GET \/v1beta\/models\s+\d+\s+ok\s+200$/m);
      expect(output).toMatch(/^chain\s+POST gemini-2\.5-flash:generateContent\s+\d+\s+ok\s+200: Echo: Reply with the single word: pong$/m);
      for (const secret of secrets) expect(output).not.toContain(secret);
    });

    it("given a URL, finds the relays through the worker's /status", async () => {
      const worker = JSON.parse(readFileSync(stateFile, "utf8")).chains.fakechain.worker.url as string;
      const { code, output } = await doctor([worker]);
      expect(code, output).toBe(0);
      expect(output.match(/^relay 127\.0\.0\.1:\d+\s+GET \/health\s+\d+\s+ok\s+(netlify fra|vercel sfo1)$/gm)).toHaveLength(2);
    });
  });

  describe("running again", () => {
    let second: Run;
    beforeAll(async () => {
      second = await deploy([]);
    }, 180_000);

    it("reuses the site and project (no lookup, no creation) and keeps every URL", () => {
      expect(second.code, second.output).toBe(0);
      expect(second.calls.map(describeCall)).toEqual([
        "netlify env:import",
        "netlify deploy",
        "vercel env add",
        "vercel env add",
        "vercel deploy",
        "wrangler deploy",
        "wrangler secret bulk",
      ]);
      const state = fakes.state();
      expect([state.netlify.created, state.vercel.created]).toEqual([1, 1]);
      expect(second.output).toMatch(/chain check \(gemini-2\.5-flash-lite\): ok, HTTP 200/);
    });
  });

  describe("--only", () => {
    it("worker: deploys only the worker, with the relay URLs from the state file", async () => {
      const relays = JSON.parse(readFileSync(stateFile, "utf8")).chains.fakechain.relays;
      const run = await deploy(["--only", "worker"]);
      expect(run.code, run.output).toBe(0);
      expect(run.calls.map(describeCall)).toEqual(["wrangler deploy", "wrangler secret bulk"]);
      expect(fakes.state().cloudflare.workers["fakechain-worker"]!.vars!.RELAY_URLS).toBe(`${relays.nf.url}#maxStreamSeconds=60,${relays.vc.url}#weight=2&maxStreamSeconds=300`);
      expect(run.output).toMatch(/^nf\s+netlify\s+fakechain-nf\s+fra\s+http:\S+\s+ok \(fra\) \(earlier deploy\)$/m);
      expect(run.output).toMatch(/chain check \(gemini-2\.5-flash-lite\): ok/);
    }, 120_000);

    it("a relay id: deploys only that relay, then checks the chain through the worker deployed before", async () => {
      const run = await deploy(["--only", "vc"]);
      expect(run.code, run.output).toBe(0);
      expect(run.calls.map(describeCall)).toEqual(["vercel env add", "vercel env add", "vercel deploy"]);
      expect(run.output).toMatch(/^worker\s+cloudflare\s+\S+\s+\S+\s+http:\S+\s+ok \(2 relays\) \(earlier deploy\)$/m);
      expect(run.output).toMatch(/chain check \(gemini-2\.5-flash-lite\): ok/);
    }, 120_000);

    it("an unknown name: exit 2 naming the known ones, nothing run", async () => {
      const run = await deploy(["--only", "nope"]);
      expect(run.code).toBe(2);
      expect(run.output).toContain('unknown --only target "nope"');
      expect(run.output).toContain("Known: worker, nf, vc.");
      expect(run.calls).toEqual([]);
    });
  });

  describe("a failing platform command", () => {
    let failed: Run;
    beforeAll(async () => {
      failed = await deploy([], { FAKE_FAIL: "netlify:env:import" });
    }, 120_000);

    it("stops the deploy there with exit 1: nothing after it runs", () => {
      expect(failed.code).toBe(1);
      expect(failed.calls.map(describeCall)).toEqual(["netlify env:import"]);
    });

    it("shows the command, its output with secrets redacted, and what to do", () => {
      expect(failed.output).toMatch(/relay nf: `netlify env:import \S+ --site site-1-\S+ --json` failed \(exit code 1\)/);
      expect(failed.output).toContain("--- output ---");
      expect(failed.output).toContain("Error: env:import failed on the platform side.");
      expect(failed.output).toContain("RELAY_TOKEN='***'");
      for (const secret of secrets) expect(failed.output).not.toContain(secret);
      expect(failed.output).toContain("What to do: Check NETLIFY_AUTH_TOKEN");
      expect(failed.output).toMatch(/state\.json records what is already deployed, so nothing is created twice/);
    });
  });
});
