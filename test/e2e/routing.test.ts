/**
 * Issue "routing": failover over keys × relays, cooldowns, circuit breakers and GPT-Load
 * pass-through, on the self-host bundle and on the worker bundle under workerd, against the
 * simulator (and relay bundles under Node for the relay scenarios).
 */
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { nextPacificMidnight } from "../../shared/gemini/classify.ts";
import { GeminiSimulator } from "../sim/index.ts";
import { freePort, startRelay, startWorker, type RunningRelay } from "../helpers/chain.ts";
import { startSelfHost, temporaryDirectory } from "../helpers/process.ts";

const accessKey = "sk-routing-access-0123456789";
const adminKey = "admin-routing-0123456789";

interface Target {
  url: string;
  stop(): Promise<unknown>;
}

type TargetFactory = (env: Record<string, string>) => Promise<Target>;

const targets: [string, TargetFactory][] = [
  [
    "self-host",
    (env) => {
      const dataDir = temporaryDirectory();
      return startSelfHost({ DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), ...env });
    },
  ],
  ["worker under workerd", (env) => startWorker(env)],
];

interface StatusKey {
  key: string;
  status: string;
  failures: number;
  cooldowns: { model: string; seconds: number; until: number; reason: string }[];
}
interface StatusDocument {
  keys: StatusKey[];
  relays: { id: string; circuit: string; quarantined: boolean }[];
}

async function status(target: Target): Promise<StatusDocument> {
  const response = await fetch(`${target.url}/status`, { headers: { authorization: `Bearer ${adminKey}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as StatusDocument;
}

function generate(target: Target, text: string, model = "gemini-2.5-flash", init: { key?: string; headers?: Record<string, string> } = {}) {
  return fetch(`${target.url}/v1beta/models/${model}:generateContent`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-goog-api-key": init.key ?? accessKey, ...init.headers },
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text }] }] }),
  });
}

const masked = (key: string) => `${key.slice(0, 4)}…${key.slice(-3)}`;

/** Sends a raw HTTP/1.1 request with exactly these headers (fetch refuses hop-by-hop ones). */
function rawPost(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: "POST", agent: false, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

describe.each(targets)("routing on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  const running: { stop(): Promise<unknown> }[] = [];
  const start = async (env: Record<string, string>) => {
    const target = await startTarget({ AUTH_KEY: accessKey, ADMIN_KEY: adminKey, GEMINI_UPSTREAM: sim.url, ...env });
    running.push(target);
    return target;
  };

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

  it("serves 100 requests over 5 keys of which 3 fail, charging each fault to its key once", async () => {
    const good = [sim.createKey(), sim.createKey()];
    const invalid = sim.createKey("invalid");
    const perMinute = sim.createKey("rate-limit-minute");
    const perDay = sim.createKey("quota-day");
    const target = await start({ GEMINI_API_KEYS: [invalid, good[0], perMinute, good[1], perDay].join(",") });
    const started = Date.now();
    for (let index = 0; index < 100; index++) {
      const response = await generate(target, `request ${index}`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { candidates: { content: { parts: { text: string }[] } }[] }).candidates[0]!.content.parts[0]!.text).toBe(`Echo: request ${index}`);
    }
    const calls = (key: string) => sim.requests.filter((request) => request.key === key).length;
    expect(calls(invalid)).toBe(1);
    expect(calls(perMinute)).toBe(1);
    expect(calls(perDay)).toBe(1);
    expect(calls(good[0]!) + calls(good[1]!)).toBe(100);
    expect(Math.abs(calls(good[0]!) - calls(good[1]!))).toBeLessThanOrEqual(2);

    const document = await status(target);
    const byKey = (key: string) => document.keys.find((entry) => entry.key === masked(key))!;
    expect(byKey(invalid).status).toBe("disabled");
    expect(byKey(perMinute).cooldowns).toEqual([expect.objectContaining({ model: "gemini-2.5-flash", reason: "retry-info" })]);
    expect(byKey(perMinute).cooldowns[0]!.seconds).toBeGreaterThanOrEqual(30);
    expect(byKey(perDay).cooldowns[0]).toMatchObject({ model: "gemini-2.5-flash", reason: "per-day-quota" });
    expect(byKey(perDay).cooldowns[0]!.until).toBe(nextPacificMidnight(byKey(perDay).cooldowns[0]!.until - 1));
    expect(byKey(perDay).cooldowns[0]!.until).toBeGreaterThan(started);
    for (const key of good) expect(byKey(key)).toMatchObject({ status: "active", failures: 0, cooldowns: [] });
    expect(JSON.stringify(document)).not.toContain(good[0]);
  });

  it("cools a key per model: a 429 on gemini-2.5-pro leaves it serving gemini-2.5-flash, and a cooling pool answers 429 with RetryInfo", async () => {
    const key = sim.createKey();
    sim.setKeyBehaviour(key, "rate-limit-minute", { model: "gemini-2.5-pro", retryDelay: "30s" });
    const target = await start({ GEMINI_API_KEYS: key });

    for (let round = 0; round < 2; round++) {
      const refused = await generate(target, "pro please", "gemini-2.5-pro");
      expect(refused.status).toBe(429);
      const body = (await refused.json()) as { error: { code: number; status: string; message: string; details: { "@type": string; retryDelay: string }[] } };
      expect(body.error).toMatchObject({ code: 429, status: "RESOURCE_EXHAUSTED" });
      expect(body.error.message).toContain("Resource has been exhausted");
      const retry = body.error.details.find((detail) => detail["@type"].endsWith("RetryInfo"))!;
      expect(Number.parseInt(retry.retryDelay)).toBeGreaterThanOrEqual(29);
      expect(Number.parseInt(retry.retryDelay)).toBeLessThanOrEqual(31);
    }
    expect(sim.requests.filter((request) => request.model === "gemini-2.5-pro")).toHaveLength(1);

    const flash = await generate(target, "flash please");
    expect(flash.status).toBe(200);
    expect(sim.requests.at(-1)).toMatchObject({ key, model: "gemini-2.5-flash" });
  });

  it("returns the upstream's 404 for an unknown model unchanged, without retrying", async () => {
    const target = await start({ GEMINI_API_KEYS: [sim.createKey(), sim.createKey()].join(",") });
    const response = await generate(target, "hi", "no-such-model");
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { status: string; message: string } };
    expect(body.error.status).toBe("NOT_FOUND");
    expect(body.error.message).toContain("no-such-model");
    expect(sim.requests).toHaveLength(1);
  });

  it("fails over from a location-refused relay and a dead one, leaves keys alone, and brings the dead one back by probe", async () => {
    const keys = [sim.createKey(), sim.createKey()];
    for (const key of keys) sim.setKeyBehaviour(key, "location", { hop: "a" });
    const token = "relay-token-routing-test-0123";
    const deadPort = await freePort();
    const relays: RunningRelay[] = [
      await startRelay({ platform: "netlify", id: "a", env: { RELAY_TOKEN: token, GEMINI_UPSTREAM: sim.hopUrl("a") } }),
      await startRelay({ platform: "vercel", id: "c", env: { RELAY_TOKEN: token, GEMINI_UPSTREAM: sim.hopUrl("c") } }),
    ];
    running.push(...relays);
    const deadUrl = `http://127.0.0.1:${deadPort}`;
    const target = await start({
      GEMINI_API_KEYS: keys.join(","),
      RELAY_TOKEN: token,
      RELAY_URLS: [relays[0]!.url, deadUrl, relays[1]!.url].join(","),
      RELAY_FAILURE_THRESHOLD: "2",
      RELAY_OPEN_MS: "300",
      RELAY_QUARANTINE_MS: "60000",
      // Every relay is tried by both keys here; with affinity a relay nobody calls home stays untried.
      EGRESS_AFFINITY: "off",
    });

    for (let index = 0; index < 20; index++) expect((await generate(target, `via relays ${index}`)).status).toBe(200);
    const served = sim.requests.filter((request) => request.status === 200);
    expect(served).toHaveLength(20);
    expect(new Set(served.map((request) => request.hop))).toEqual(new Set(["c"]));
    expect(sim.requests.filter((request) => request.hop === "a")).toHaveLength(1);

    let document = await status(target);
    for (const entry of document.keys) expect(entry).toMatchObject({ status: "active", failures: 0, cooldowns: [] });
    const relayA = document.relays.find((relay) => relay.id.includes(new URL(relays[0]!.url).host))!;
    expect(relayA).toMatchObject({ circuit: "open", quarantined: true });
    const dead = document.relays.find((relay) => relay.id.includes(String(deadPort)))!;
    expect(dead.circuit).not.toBe("closed");

    const revived = await startRelay({ platform: "vercel", id: "b", port: deadPort, env: { RELAY_TOKEN: token, GEMINI_UPSTREAM: sim.hopUrl("b") } });
    running.push(revived);
    const deadline = Date.now() + 10_000;
    while (!sim.requests.some((request) => request.hop === "b") && Date.now() < deadline) {
      expect((await generate(target, "after revival")).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(sim.requests.some((request) => request.hop === "b" && request.status === 200)).toBe(true);
    document = await status(target);
    expect(document.relays.find((relay) => relay.id.includes(String(deadPort)))!.circuit).toBe("closed");
  });

  it("serves GPT-Load style pass-through with the client's key, prefix and hop-by-hop headers, only with x-relay-auth", async () => {
    const poolKey = sim.createKey();
    const clientKey = sim.createKey();
    const badClientKey = sim.createKey("invalid");
    const target = await start({ GEMINI_API_KEYS: poolKey });
    const path = (key: string) => `${target.url}/proxy/gemini/v1beta/models/gemini-2.5-flash:generateContent?key=${key}`;
    const body = JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] });
    const gptLoadHeaders = {
      "content-type": "application/json",
      connection: "keep-alive, upgrade",
      "keep-alive": "timeout=5",
      "proxy-connection": "keep-alive",
      "x-forwarded-for": "198.51.100.7",
      "user-agent": "Go-http-client/1.1",
    };

    const served = await rawPost(path(clientKey), { ...gptLoadHeaders, "x-relay-auth": accessKey }, body);
    expect(served.status).toBe(200);
    expect(JSON.parse(served.body).candidates[0].content.parts[0].text).toBe("Echo: hi");
    expect(sim.requests.at(-1)).toMatchObject({ key: clientKey, keyInUrl: false, path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent" });
    expect(sim.requests.at(-1)!.headers["x-forwarded-for"]).toBeUndefined();

    // GPT-Load's key check: 2xx exactly when the key works; the pool is never charged.
    const rejected = await rawPost(path(badClientKey), { ...gptLoadHeaders, "x-relay-auth": accessKey }, body);
    expect(rejected.status).toBe(400);
    expect(JSON.parse(rejected.body).error.details[0].reason).toBe("API_KEY_INVALID");

    const before = sim.requests.length;
    const refused = await rawPost(path(clientKey), gptLoadHeaders, body);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).error.message).toContain("x-relay-auth");
    expect((await rawPost(path(clientKey), { ...gptLoadHeaders, "x-relay-auth": "wrong" }, body)).status).toBe(401);
    expect(sim.requests.length).toBe(before);

    const document = await status(target);
    expect(document.keys).toHaveLength(1);
    expect(document.keys[0]).toMatchObject({ status: "active", failures: 0 });
  });

  it("opens pass-through without x-relay-auth only when configured", async () => {
    const clientKey = sim.createKey();
    const target = await start({ GEMINI_API_KEYS: sim.createKey(), PASSTHROUGH: "open" });
    const response = await fetch(`${target.url}/v1beta/models/gemini-2.5-flash:generateContent?key=${clientKey}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "open" }] }] }),
    });
    expect(response.status).toBe(200);
    expect(sim.requests.at(-1)!.key).toBe(clientKey);
  });
});
