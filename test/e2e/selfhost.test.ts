/**
 * `npm start`'s bundle end to end: the built self-host server (dist/node/server.mjs) in front of
 * the Gemini simulator, driven by the official @google/genai SDK and raw HTTP.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GeminiSimulator } from "../sim/index.ts";
import { startSelfHost, temporaryDirectory, type Child } from "../helpers/process.ts";

const accessKey = "sk-test-access-0123456789abcdef";
const adminKey = "admin-test-0123456789abcdef";

describe("self-host server", () => {
  let sim: GeminiSimulator;
  let server: Child & { url: string };
  let keys: string[];
  let dataDir: string;

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    keys = [sim.createKey(), sim.createKey(), sim.createKey()];
    dataDir = temporaryDirectory();
    server = await startSelfHost({
      GEMINI_API_KEYS: keys.join(","),
      AUTH_KEY: accessKey,
      ADMIN_KEY: adminKey,
      DATA_DIR: dataDir,
      KEYS_FILE: join(dataDir, "keys.txt"),
      GEMINI_UPSTREAM: sim.url,
    });
  });

  afterAll(async () => {
    await server?.stop();
    await sim?.close();
  });

  const sdk = () => new GoogleGenAI({ apiKey: accessKey, httpOptions: { baseUrl: server.url } });

  it("answers generateContent through the SDK with a pool key", async () => {
    sim.reset();
    const response = await sdk().models.generateContent({ model: "gemini-2.5-flash", contents: "hello relay" });
    expect(response.text).toBe("Echo: hello relay");
    expect(sim.requests).toHaveLength(1);
    expect(keys).toContain(sim.requests[0]!.key);
    expect(sim.requests[0]!.key).not.toBe(accessKey);
  });

  it("streams through the SDK, chunk by chunk", async () => {
    sim.reset();
    const text = "A longer answer that the simulator splits into several streamed chunks of text.";
    sim.setAnswer(() => text);
    const chunks: string[] = [];
    for await (const chunk of await sdk().models.generateContentStream({ model: "gemini-2.5-flash", contents: "stream please" })) {
      chunks.push(chunk.text ?? "");
    }
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.join("")).toBe(text);
  });

  it("counts tokens, embeds and lists models through the SDK", async () => {
    sim.reset();
    const count = await sdk().models.countTokens({ model: "gemini-2.5-flash", contents: "count these tokens" });
    expect(count.totalTokens).toBeGreaterThan(0);
    const embedding = await sdk().models.embedContent({ model: "gemini-embedding-001", contents: ["one", "two"] });
    expect(embedding.embeddings).toHaveLength(2);
    const pager = await sdk().models.list();
    const names: string[] = [];
    for await (const model of pager) names.push(model.name ?? "");
    expect(names).toContain("models/gemini-2.5-flash");
  });

  it("caches the upstream model list for pool clients, never for pass-through keys", async () => {
    sim.reset();
    const lists = () => sim.requests.filter((request) => request.action === "models.list").length;
    const native = () => fetch(`${server.url}/v1beta/models`, { headers: { "x-goog-api-key": accessKey } });
    const first = (await (await native()).json()) as { models: { name: string }[] };
    const second = (await (await native()).json()) as { models: { name: string }[] };
    expect(second).toEqual(first);
    // An earlier test may have filled the cache already: at most one upstream call for both.
    expect(lists()).toBeLessThanOrEqual(1);
    const before = lists();
    const openai = () => fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${accessKey}` } });
    expect((await openai()).status).toBe(200);
    expect((await openai()).status).toBe(200);
    expect(lists()).toBe(before + 1);
    const own = sim.createKey();
    for (let index = 0; index < 2; index++) {
      const response = await fetch(`${server.url}/v1beta/models?key=${own}`, { headers: { "x-relay-auth": accessKey } });
      expect(response.status).toBe(200);
    }
    expect(lists()).toBe(before + 3);
  });

  it("spreads requests evenly over the pool keys", async () => {
    sim.reset();
    for (let index = 0; index < 9; index++) {
      await sdk().models.generateContent({ model: "gemini-2.5-flash", contents: `request ${index}` });
    }
    const perKey = keys.map((key) => sim.requests.filter((request) => request.key === key).length);
    expect(perKey).toEqual([3, 3, 3]);
  });

  it("re-encodes streamGenerateContent without alt=sse as a JSON array", async () => {
    sim.reset();
    sim.setAnswer(() => "array form answer split in chunks");
    const response = await fetch(`${server.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?key=${accessKey}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    });
    expect(response.status).toBe(200);
    const events = (await response.json()) as { candidates: { content: { parts: { text: string }[] } }[] }[];
    expect(events.length).toBeGreaterThan(1);
    expect(events.map((event) => event.candidates[0]!.content.parts[0]!.text).join("")).toBe("array form answer split in chunks");
    expect(sim.requests[0]!.query.alt).toBe("sse");
  });

  it("never sends the key in the upstream URL nor client identity headers upstream", async () => {
    sim.reset();
    await fetch(`${server.url}/v1beta/models/gemini-2.5-flash:generateContent?key=${accessKey}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        cookie: "session=secret",
        "x-forwarded-for": "203.0.113.9",
        "x-real-ip": "203.0.113.9",
        origin: "https://client.example",
        referer: "https://client.example/page",
        "cf-connecting-ip": "203.0.113.9",
      },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    });
    const received = sim.requests[0]!;
    expect(received.keyInUrl).toBe(false);
    expect(received.query.key).toBeUndefined();
    for (const header of ["cookie", "x-forwarded-for", "x-real-ip", "origin", "referer", "cf-connecting-ip"]) {
      expect(received.headers[header]).toBeUndefined();
    }
  });

  it("rejects a wrong or missing access key with Gemini's 401 error shape", async () => {
    sim.reset();
    for (const headers of [{ "x-goog-api-key": "wrong-key" }, {}] as Record<string, string>[]) {
      const response = await fetch(`${server.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: "{}",
      });
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: { code: number; status: string; message: string } };
      expect(body.error.code).toBe(401);
      expect(body.error.status).toBe("UNAUTHENTICATED");
    }
    expect(sim.requests).toHaveLength(0);
  });

  it("answers /health without secrets", async () => {
    const response = await fetch(`${server.url}/health`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ ok: true, platform: "node" });
    for (const secret of [accessKey, adminKey, ...keys]) expect(text).not.toContain(secret);
  });

  it("never logs a pool key or the access key", () => {
    for (const secret of [accessKey, adminKey, ...keys]) expect(server.output()).not.toContain(secret);
  });
});

describe("self-host first start and restart", () => {
  it("generates secrets once (mode 0600), keeps keys across a restart, and says how to add keys when there are none", async () => {
    const sim = await GeminiSimulator.start();
    const dataDir = temporaryDirectory();
    const keysFile = join(dataDir, "keys.txt");
    const key = sim.createKey();
    const base = { DATA_DIR: dataDir, KEYS_FILE: keysFile, GEMINI_UPSTREAM: sim.url };
    try {
      let server = await startSelfHost(base);
      const generated = /AUTH_KEY=(\S+)/.exec(server.output())?.[1];
      expect(generated).toMatch(/^sk-gemrelay-[A-Za-z0-9_-]{32}$/);
      expect(server.output()).toMatch(/ADMIN_KEY=admin-[A-Za-z0-9_-]{32}/);
      expect(statSync(join(dataDir, "secrets.json")).mode & 0o777).toBe(0o600);

      const empty = await fetch(`${server.url}/v1beta/models/gemini-2.5-flash:generateContent?key=${generated}`, { method: "POST", body: JSON.stringify({ contents: [{ parts: [{ text: "hi" }] }] }) });
      expect(empty.status).toBe(503);
      expect(((await empty.json()) as { error: { message: string } }).error.message).toMatch(/GEMINI_API_KEYS.*keys\.txt.*\/api\/keys/);
      expect(await server.stop()).toBe(0);

      writeFileSync(keysFile, `# my keys\n${key}\n`);
      server = await startSelfHost(base);
      expect(server.output()).not.toContain("AUTH_KEY=");
      const sdk = new GoogleGenAI({ apiKey: generated!, httpOptions: { baseUrl: server.url } });
      expect((await sdk.models.generateContent({ model: "gemini-2.5-flash", contents: "after restart" })).text).toBe("Echo: after restart");
      expect(await server.stop()).toBe(0);

      // The key came from keys.txt once; it is in the Store now and survives the file's removal.
      writeFileSync(keysFile, "");
      server = await startSelfHost(base);
      const again = new GoogleGenAI({ apiKey: generated!, httpOptions: { baseUrl: server.url } });
      expect((await again.models.generateContent({ model: "gemini-2.5-flash", contents: "state kept" })).text).toBe("Echo: state kept");
      expect(sim.requests.every((request) => request.key === key)).toBe(true);
      expect(await server.stop()).toBe(0);
      expect(existsSync(join(dataDir, "gemrelay.sqlite"))).toBe(true);
      expect(readFileSync(join(dataDir, "secrets.json"), "utf8")).toContain(generated!);
    } finally {
      await sim.close();
    }
  });
});
