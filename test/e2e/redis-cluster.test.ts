/**
 * Scale-out end to end: two built self-host bundles (dist/node/server.mjs) sharing one
 * redis-server, driven alternately by @google/genai in front of the Gemini simulator. Shared
 * round-robin, shared cooldowns, admin changes seen at once, and Redis dying and coming back.
 */
import { join } from "node:path";
import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GeminiSimulator } from "../sim/index.ts";
import { startSelfHost, temporaryDirectory, type Child } from "../helpers/process.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";

const accessKey = "sk-test-access-0123456789abcdef";
const adminKey = "admin-test-0123456789abcdef";
const model = "gemini-2.5-flash";

describe("two self-host instances on one Redis", () => {
  let redis: RedisServer;
  let sim: GeminiSimulator;
  let keys: string[];
  const instances: (Child & { url: string })[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    sim = await GeminiSimulator.start();
    keys = sim.createKeys(4);
    for (let index = 0; index < 2; index++) {
      const dataDir = temporaryDirectory();
      instances.push(
        await startSelfHost({
          GEMINI_API_KEYS: keys.join(","),
          AUTH_KEY: accessKey,
          ADMIN_KEY: adminKey,
          DATA_DIR: dataDir,
          KEYS_FILE: join(dataDir, "keys.txt"),
          GEMINI_UPSTREAM: sim.url,
          REDIS_URL: redis.url,
          // Long on purpose: only the pub/sub invalidation can make the other instance see a change in time.
          POOL_REFRESH_MS: "60000",
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const instance of instances) await instance.stop();
    await sim?.close();
    await redis?.stop();
  });

  const sdk = (index: number) => new GoogleGenAI({ apiKey: accessKey, httpOptions: { baseUrl: instances[index % 2]!.url } });
  const ask = async (index: number) => (await sdk(index).models.generateContent({ model, contents: `request ${index}` })).text;
  const perKey = (pool: readonly string[]) => pool.map((key) => sim.requests.filter((request) => request.key === key).length);
  const admin = (index: number, path: string, body?: unknown, method = body === undefined ? "GET" : "POST") =>
    fetch(`${instances[index]!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const health = async (index: number) => (await (await fetch(`${instances[index]!.url}/health`)).json()) as { state?: string };

  it("reports a healthy shared state on /health and /status", async () => {
    expect((await health(0)).state).toBe("ok");
    const status = (await (await admin(1, "/status")).json()) as { sharedState?: { state: string; detail: { driver: string } } };
    expect(status.sharedState).toMatchObject({ state: "ok", detail: { driver: "redis" } });
  });

  it("spreads requests evenly over the keys across both instances", async () => {
    sim.reset();
    for (let index = 0; index < 12; index++) expect(await ask(index)).toBe(`Echo: request ${index}`);
    expect(perKey(keys)).toEqual([3, 3, 3, 3]);
    // Uneven traffic (three to one): per-process cursors would skew this; the shared one does not.
    sim.reset();
    for (let index = 0; index < 12; index++) await ask(index % 4 === 3 ? 1 : 0);
    expect(perKey(keys)).toEqual([3, 3, 3, 3]);
  });

  it("does not repeat on one instance a 429 the other learned", async () => {
    sim.reset();
    const limited = keys[1]!;
    sim.setKeyBehaviour(limited, "rate-limit-minute", { retryDelay: "50s" });
    for (let index = 0; index < 10; index++) expect(await ask(index)).toBe(`Echo: request ${index}`);
    expect(sim.requests.filter((request) => request.key === limited)).toHaveLength(1);
    sim.setKeyBehaviour(limited, "ok");
    expect((await admin(0, "/admin/reset-keys", {})).status).toBe(200);
    // The reset made through instance 0 is seen by instance 1 at once: the key serves again there.
    sim.reset();
    for (let index = 1; index < 9; index += 2) await ask(index);
    expect(sim.requests.filter((request) => request.key === limited)).toHaveLength(1);
  });

  it("spends per-minute budgets on both instances together: no key over its budget, the pool at its capacity", async () => {
    sim.reset();
    for (const key of keys) sim.setKeyLimits(key, { requestsPerMinute: 2 });
    const saved = await admin(0, "/api/policy/budgets", { enabled: true, freeTier: false, limits: { [model]: { rpm: 2 } } }, "PUT");
    expect(saved.status).toBe(200);
    // A burst through both instances at once, by the SDK: 4 keys × 2 RPM = 8 requests fit in the minute.
    const statuses = await Promise.all(
      Array.from({ length: 16 }, (_, index) =>
        sdk(index).models.generateContent({ model, contents: `burst ${index}` }).then(
          () => 200,
          (error: { status?: number }) => error.status ?? 0,
        ),
      ),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(8);
    expect(statuses.filter((status) => status === 429)).toHaveLength(8);
    // Both instances served part of the burst, and the simulator never saw a key over 2 per minute.
    expect(new Set(statuses.filter((_, index) => index % 2 === 0))).toContain(200);
    expect(new Set(statuses.filter((_, index) => index % 2 === 1))).toContain(200);
    expect(perKey(keys)).toEqual([2, 2, 2, 2]);
    // Each instance's console shows the shared spending.
    for (const index of [0, 1]) {
      const view = (await (await admin(index, `/api/budgets?model=${model}`)).json()) as { models: { summary: string; remainingPerMinute: number }[] };
      expect(view.models[0]).toMatchObject({ summary: "4 keys × 2 RPM = 8 RPM", remainingPerMinute: 0 });
    }
    expect((await admin(1, "/api/policy/budgets", undefined, "DELETE")).status).toBe(200);
    for (const key of keys) sim.setKeyLimits(key, {});
    // The reset made through instance 1 reaches instance 0 at once.
    expect(await ask(0)).toBe("Echo: request 0");
  });

  it("uses at once on one instance a key added through the other's admin API", async () => {
    const added = sim.createKey();
    const response = await admin(0, "/api/keys", { keys: [added] });
    expect(response.status).toBe(200);
    sim.reset();
    for (let index = 1; index < 10; index += 2) await ask(index);
    expect(perKey([...keys, added])).toEqual([1, 1, 1, 1, 1]);
    keys.push(added);
  });

  it("loses no client request when Redis dies, and shares state again once it is back", async () => {
    sim.reset();
    for (let index = 0; index < 4; index++) expect(await ask(index)).toBe(`Echo: request ${index}`);
    // Killed while requests are in flight on both instances.
    const inFlight = Promise.all(Array.from({ length: 10 }, (_, index) => ask(index)));
    await redis.kill();
    expect(await inFlight).toEqual(Array.from({ length: 10 }, (_, index) => `Echo: request ${index}`));
    for (let index = 0; index < 20; index++) expect(await ask(index)).toBe(`Echo: request ${index}`);
    expect((await health(0)).state).toBe("degraded");
    expect((await health(1)).state).toBe("degraded");
    const status = (await (await admin(0, "/status")).json()) as { sharedState?: { state: string; detail: { queuedWrites: number } } };
    expect(status.sharedState?.state).toBe("degraded");
    expect(status.sharedState?.detail.queuedWrites).toBeGreaterThan(0);
    const alerts = async (index: number) => ((await (await admin(index, "/api/alerts")).json()) as { events: { kind: string }[] }).events.map((event) => event.kind);
    expect(await alerts(1)).toContain("state-degraded");

    // A restarted Redis without persistence comes back empty: the instances re-seed it and replay their writes.
    await redis.restart();
    await waitFor(async () => (await health(0)).state === "ok" && (await health(1)).state === "ok");
    expect(instances.map((instance) => instance.output()).join("\n")).toContain("store.reseeded");
    await waitFor(async () => (await alerts(0)).includes("state-recovered"));
    for (let index = 0; index < 4; index++) expect(await ask(index)).toBe(`Echo: request ${index}`);
    sim.reset();
    for (let index = 0; index < 10; index++) await ask(index);
    expect(perKey(keys)).toEqual([2, 2, 2, 2, 2]);
    const late = sim.createKey();
    expect((await admin(1, "/api/keys", { keys: [late] })).status).toBe(200);
    sim.reset();
    for (let index = 0; index < 12; index += 2) await ask(index);
    expect(perKey([...keys, late])).toEqual([1, 1, 1, 1, 1, 1]);
  }, 60_000);
});

/** Polls `condition` every 100 ms for up to 15 s. */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error("condition not met within 15 s");
}
