/**
 * `gemrelay dev --runtimes platform` (startDevChain with `runtimes: "platform"`): the manifest's
 * chain under wrangler dev, netlify functions:serve and @vercel/node's dev server, built from its
 * own manifest, answering through both relays, and gone after close (ports and processes).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevChain, type DevChain } from "../../deploy/dev.ts";
import { parseManifest } from "../../deploy/manifest.ts";
import { temporaryDirectory } from "../helpers/process.ts";
import { portClosed, processAlive } from "../deploy/support.ts";
import { GeminiSimulator } from "../sim/index.ts";

const accessKey = "sk-dev-platform-0123456789abcdef";

describe("gemrelay dev --runtimes platform", () => {
  let sim: GeminiSimulator;
  let chain: DevChain;
  let key: string;

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    key = sim.createKey();
    const manifest = parseManifest({
      name: "platform-dev",
      worker: { name: "platform-dev", placement: { region: "aws:eu-central-1" } },
      relays: [
        { id: "nf", platform: "netlify", region: "fra", upstream: sim.hopUrl("nf") },
        { id: "vc", platform: "vercel", region: "fra1", upstream: sim.hopUrl("vc") },
      ],
    });
    chain = await startDevChain({
      manifest,
      port: 0,
      runtimes: "platform",
      outDir: temporaryDirectory("gemrelay-platform-dist-"),
      stateDir: temporaryDirectory("gemrelay-platform-state-"),
      log: () => undefined,
      env: { GEMINI_API_KEYS: key, AUTH_KEY: accessKey, ADMIN_KEY: "admin-dev-platform-0123456789abcdef", GEMINI_UPSTREAM: sim.url },
    });
  }, 180_000);

  afterAll(async () => {
    await chain?.close();
    await sim?.close();
  });

  it("runs each deployable under its platform's runtime and answers through both relays", async () => {
    const health = await Promise.all(chain.relays.map(async (relay) => (await fetch(`${relay.url}/health`)).json()));
    expect(health).toEqual([
      { ok: true, platform: "netlify", region: "dev" },
      { ok: true, platform: "vercel", region: "dev1" },
    ]);
    for (let index = 0; index < 2; index++) {
      const response = await fetch(`${chain.workerUrl}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-goog-api-key": accessKey },
        body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: `platform ${index}` }] }] }),
      });
      expect(response.status).toBe(200);
    }
    expect(sim.requests.map((request) => request.hop).sort()).toEqual(["nf", "vc"]);
  });

  it("stops every runtime on close: no port left open, no process left", async () => {
    const ports = [chain.workerUrl, ...chain.relays.map((relay) => relay.url)].map((url) => Number(new URL(url).port));
    const pids = [chain.workerPid, ...chain.relays.map((relay) => relay.pid)];
    await chain.close();
    // A platform runtime's own child (the Vercel dev server's) may take a moment after its parent to release its port.
    await expect.poll(() => Promise.all(ports.map((port) => portClosed(port))), { timeout: 10_000 }).toEqual(ports.map(() => true));
    expect(pids.filter((pid) => processAlive(pid))).toEqual([]);
  });
});
