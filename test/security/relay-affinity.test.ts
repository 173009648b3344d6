/**
 * Issue 18: key ↔ egress affinity on the worker over its relays (the scheduler code is shared
 * with the self-host, whose proxies proxy-egress.test.ts covers): the worker bundle under
 * workerd, two relay bundles under Node in front of the simulator.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GeminiSimulator } from "../sim/index.ts";
import { startRelay, startWorker, type RunningRelay } from "../helpers/chain.ts";

const accessKey = "sk-affinity-access-0123456789";
const adminKey = "admin-affinity-0123456789";
const token = "relay-token-affinity-0123456789";

interface StatusDocument {
  keys: { key: string; egress: { home: string | null; via: string | null } }[];
  relays: { id: string; circuit: string }[];
}

describe("egress affinity on the worker under workerd", () => {
  let sim: GeminiSimulator;
  const running: { stop(): Promise<unknown> }[] = [];
  const masked = (key: string) => `${key.slice(0, 4)}…${key.slice(-3)}`;

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((target) => target.stop()));
    sim.reset();
  });
  afterAll(async () => {
    await sim.close();
  });

  const generate = (url: string, text: string) =>
    fetch(`${url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": accessKey },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text }] }] }),
    });

  async function chain(affinity: string) {
    const relays: RunningRelay[] = [
      await startRelay({ platform: "netlify", id: "a", env: { RELAY_TOKEN: token, GEMINI_UPSTREAM: sim.hopUrl("a") } }),
      await startRelay({ platform: "vercel", id: "b", env: { RELAY_TOKEN: token, GEMINI_UPSTREAM: sim.hopUrl("b") } }),
    ];
    running.push(...relays);
    const keys = Array.from({ length: 12 }, () => sim.createKey());
    const worker = await startWorker({ AUTH_KEY: accessKey, ADMIN_KEY: adminKey, GEMINI_API_KEYS: keys.join(","), RELAY_TOKEN: token, RELAY_URLS: relays.map((relay) => relay.url).join(","), EGRESS_AFFINITY: affinity });
    running.push(worker);
    const document = (await (await fetch(`${worker.url}/status`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as StatusDocument;
    const hopOfRelay = new Map(relays.map((relay) => [new URL(relay.url).host, relay.id]));
    const homes = new Map(keys.map((key) => [key, hopOfRelay.get(document.keys.find((entry) => entry.key === masked(key))!.egress.home!)!]));
    return { relays, keys, worker, homes };
  }

  it("prefer: sends every key only through its home relay, as /status names it", async () => {
    const { keys, worker, homes } = await chain("prefer");
    expect(new Set(homes.values())).toEqual(new Set(["a", "b"]));
    for (let index = 0; index < 32; index++) expect((await generate(worker.url, `prefer ${index}`)).status).toBe(200);
    for (const key of keys) {
      const hops = new Set(sim.requests.filter((request) => request.key === key).map((request) => request.hop));
      if (hops.size > 0) expect(hops).toEqual(new Set([homes.get(key)]));
    }
    expect(new Set(sim.requests.map((request) => request.hop))).toEqual(new Set(["a", "b"]));
  });

  it("strict: with one relay dead, its keys are parked and never leave through the other", async () => {
    const { relays, keys, worker, homes } = await chain("strict");
    await relays[0]!.stop();
    for (let index = 0; index < 16; index++) expect((await generate(worker.url, `strict ${index}`)).status).toBe(200);
    const parked = keys.filter((key) => homes.get(key) === "a");
    expect(parked.length).toBeGreaterThan(0);
    expect(sim.requests).toHaveLength(16);
    for (const request of sim.requests) expect(request.hop).toBe("b");
    for (const key of parked) expect(sim.requests.some((request) => request.key === key)).toBe(false);
  });
});
