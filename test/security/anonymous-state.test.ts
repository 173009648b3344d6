/**
 * Issue #14, findings 5 and 10: an anonymous client can make gemrelay record nothing, and no
 * client can grow its state without bound. On the self-host bundle (SQLite and Redis) and on the
 * worker bundle under workerd, over real HTTP with the simulator as Gemini:
 * - requests that fail authentication leave no usage row and no request log entry, only the
 *   aggregate count on /status;
 * - a model name that is no Gemini id never reaches a record;
 * - thousands of model names tried by an authenticated client keep /status small (the budget
 *   counters are bounded, in the process, the Durable Object and Redis).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GeminiSimulator } from "../sim/index.ts";
import { resumeWorkerTargets, type Target, type TargetFactory } from "../helpers/targets.ts";
import { startSelfHost, temporaryDirectory } from "../helpers/process.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";

const accessKey = "sk-anonymous-state-access-0123456789";
const adminKey = "admin-anonymous-state-0123456789";
const body = JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] });
/** A pass-through key shape, built so that no key-shaped literal sits in the source. */
const ownKey = (index: number) => "AIzaSy" + "AnonymousStateKey0".slice(0, 18) + String(index).padStart(10, "0");

let redis: RedisServer | undefined;
const targets: [string, TargetFactory][] = [
  ...resumeWorkerTargets,
  [
    "self-host on Redis",
    async (env) => {
      redis ??= await startRedis();
      const dataDir = temporaryDirectory();
      return startSelfHost({ DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), REDIS_URL: redis.url, ...env });
    },
  ],
];

afterAll(async () => {
  await redis?.stop();
});

/** Runs `count` calls of `task`, `parallel` at a time. */
async function inParallel(count: number, parallel: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

describe.each(targets)("anonymous and client-keyed state on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;

  const admin = async (path: string) => {
    const response = await fetch(target.url + path, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(response.status, path).toBe(200);
    return { text: await response.clone().text(), json: (await response.json()) as Record<string, unknown> };
  };
  const requestLog = async () => ((await admin("/api/requests?limit=200")).json.requests as { model: string; status: number; accessKey: string }[]);

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    target = await startTarget({
      AUTH_KEY: accessKey,
      ADMIN_KEY: adminKey,
      GEMINI_API_KEYS: sim.createKey(),
      GEMINI_UPSTREAM: sim.url,
      USAGE_FLUSH_MS: "0",
      BUDGETS: JSON.stringify({ enabled: true, freeTier: false, limits: { "*": { rpm: 100_000 } } }),
    });
  });

  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  it("records nothing for 500 requests that fail authentication, whatever model they name, and counts them once", async () => {
    const random = () => Math.random().toString(36).slice(2, 10);
    const unauthenticated: ((index: number) => Promise<Response>)[] = [
      // No key at all, a wrong access key, a Gemini-shaped key without x-relay-auth, a wrong x-relay-auth.
      () => fetch(`${target.url}/v1beta/models/m${random()}:generateContent`, { method: "POST", body }),
      () => fetch(`${target.url}/v1beta/models/m${random()}:streamGenerateContent?alt=sse`, { method: "POST", headers: { "x-goog-api-key": `wrong-${random()}` }, body }),
      (index) => fetch(`${target.url}/v1beta/models/m${random()}:generateContent?key=${ownKey(index)}`, { method: "POST", body }),
      (index) => fetch(`${target.url}/v1beta/models/m${random()}:generateContent?key=${ownKey(index)}`, { method: "POST", headers: { "x-relay-auth": "wrong" }, body }),
      // Names that are no Gemini id: markup and a right-to-left override.
      () => fetch(`${target.url}/v1beta/models/%3Cimg%20src%3Dx%3E${random()}:generateContent`, { method: "POST", body }),
      () => fetch(`${target.url}/v1beta/models/%E2%80%AE${random()}:generateContent`, { method: "POST", headers: { "x-goog-api-key": "nope" }, body }),
      // The OpenAI surfaces.
      () => fetch(`${target.url}/v1/chat/completions`, { method: "POST", headers: { authorization: "Bearer sk-wrong" }, body: JSON.stringify({ model: `m${random()}`, messages: [{ role: "user", content: "hi" }] }) }),
      () => fetch(`${target.url}/v1beta/openai/chat/completions`, { method: "POST", headers: { authorization: "Bearer sk-wrong" }, body: JSON.stringify({ model: `<b>${random()}</b>`, messages: [] }) }),
      // Other Gemini paths.
      () => fetch(`${target.url}/v1beta/models/m${random()}:countTokens`, { method: "POST", body }),
      () => fetch(`${target.url}/v1beta/files`, { headers: { "x-goog-api-key": "nope" } }),
    ];
    const refused = async () => ((await admin("/status")).json.refusals as { unauthenticated: number } | undefined)?.unauthenticated;
    const before = (await refused()) ?? 0;
    await inParallel(500, 10, async (index) => {
      const response = await (unauthenticated[index % unauthenticated.length] as (index: number) => Promise<Response>)(index);
      await response.text();
      expect(response.status).toBe(401);
    });
    expect(sim.requests).toEqual([]);

    // Written in the background: wait for the entry of a good request (no time limit but the test's).
    const served = async (model: string): Promise<{ model: string; status: number; accessKey: string }[]> => {
      const good = await fetch(`${target.url}/v1beta/models/${model}:generateContent`, { method: "POST", headers: { "x-goog-api-key": accessKey }, body });
      expect(good.status).toBe(200);
      let log = await requestLog();
      while (!log.some((entry) => entry.model === model)) {
        await new Promise((done) => setTimeout(done, 50));
        log = await requestLog();
      }
      return log;
    };
    expect((await served("gemini-2.5-flash")).map((entry) => entry.model)).toEqual(["gemini-2.5-flash"]);

    // Authenticated requests with a name that is no model id: recorded, but as no model.
    const bad = await fetch(`${target.url}/v1beta/models/%3Cb%3Ebold%3Cimg%3E:generateContent`, { method: "POST", headers: { "x-goog-api-key": accessKey }, body });
    expect(bad.status).toBe(400);
    const badChat = await fetch(`${target.url}/v1beta/openai/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${accessKey}` }, body: JSON.stringify({ model: "\u202egnp.exe", messages: [] }) });
    expect(badChat.status).toBe(400);
    const log = await served("gemini-2.5-flash-lite");
    expect(log.map((entry) => entry.model).sort()).toEqual(["*", "*", "gemini-2.5-flash", "gemini-2.5-flash-lite"]);
    expect(log.every((entry) => entry.accessKey === "env")).toBe(true);
    const usage = await admin("/api/usage?days=2");
    expect((usage.json.byModel as { id: string }[]).map((row) => row.id).sort()).toEqual(["*", "gemini-2.5-flash", "gemini-2.5-flash-lite"]);
    expect((usage.json.byAccessKey as { id: string }[]).map((row) => row.id)).toEqual(["env"]);
    for (const text of [usage.text, JSON.stringify(log)]) expect(text).not.toMatch(/<|\u202e|img|bold/);

    expect(((await refused()) ?? 0) - before).toBe(500);
  });

  it("keeps /status small after 5,000 distinct model names, and pass-through clients with 2,000 keys of their own", async () => {
    const models = Array.from({ length: 5_000 }, (_, index) => `m-${index}-${Math.random().toString(36).slice(2, 8)}`);
    await inParallel(models.length, 16, async (index) => {
      const response = await fetch(`${target.url}/v1beta/models/${models[index]}:generateContent`, { method: "POST", headers: { "x-goog-api-key": accessKey }, body });
      await response.text();
      // The simulator has no such model: Gemini's own 404, passed on.
      expect(response.status).toBe(404);
    });
    await inParallel(2_000, 16, async (index) => {
      const response = await fetch(`${target.url}/v1beta/models/gemini-2.5-flash:countTokens?key=${ownKey(index)}`, { method: "POST", headers: { "x-relay-auth": accessKey }, body });
      await response.text();
      expect([200, 400, 403]).toContain(response.status);
    });
    const status = await admin("/status");
    const shown = (status.json.budgets as { models: { model: string }[] }).models.map((entry) => entry.model);
    expect(shown.length).toBeLessThanOrEqual(21);
    expect(status.text.length).toBeLessThan(100_000);
    // The most recent names are the ones shown.
    expect(shown.filter((model) => models.includes(model)).every((model) => models.indexOf(model) >= models.length - 200)).toBe(true);
    // 7,000 requests: more than the default 30 s on a loaded 2-core machine.
  }, 180_000);
});

describe.each(resumeWorkerTargets)("open pass-through on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    target = await startTarget({ AUTH_KEY: accessKey, ADMIN_KEY: adminKey, GEMINI_API_KEYS: sim.createKey(), GEMINI_UPSTREAM: sim.url, USAGE_FLUSH_MS: "0", PASSTHROUGH: "open" });
  });

  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  it("records nothing when Gemini refuses a key no access key vouched for, and counts it as unauthenticated", async () => {
    const admin = async (path: string) => (await (await fetch(target.url + path, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as Record<string, unknown>;
    const refused = async () => ((await admin("/status")).refusals as { unauthenticated: number }).unauthenticated;
    await inParallel(200, 10, async (index) => {
      const response = await fetch(`${target.url}/v1beta/models/m${index}x:generateContent?key=${ownKey(index)}`, { method: "POST", body });
      await response.text();
      expect(response.status).toBe(400);
    });
    // Counted when each answer is over, in the background: wait for the count (no time limit but the test's).
    while ((await refused()) < 200) await new Promise((done) => setTimeout(done, 50));
    expect(await refused()).toBe(200);
    const good = await fetch(`${target.url}/v1beta/models/gemini-2.5-flash:generateContent`, { method: "POST", headers: { "x-goog-api-key": accessKey }, body });
    expect(good.status).toBe(200);
    let log: { model: string }[] = [];
    while (log.length === 0) log = (await admin("/api/requests?limit=500")).requests as { model: string }[];
    expect(log.map((entry) => entry.model)).toEqual(["gemini-2.5-flash"]);
  });
});
