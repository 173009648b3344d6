/**
 * Issue #14 finding 8: malformed pool keys never enter the pool, whatever the source
 * (GEMINI_API_KEYS, keys.txt, a Store written before keys were checked), and an exception never
 * reaches a client body: a generic 500 with a request id, in the caller's protocol, and the
 * details masked in the log. On the self-host bundle and on the worker bundle under workerd.
 */
import { writeFileSync } from "node:fs";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GeminiSimulator } from "../sim/index.ts";
import { startWorker } from "../helpers/chain.ts";
import { startSelfHost, temporaryDirectory } from "../helpers/process.ts";
import { openSqliteStore } from "../../relays/node/sqlite-store.ts";
import { maskSecret } from "../../shared/secrets.ts";

const accessKey = "sk-keys-errors-access-0123456789";
const adminKey = "admin-keys-errors-0123456789";

/** A running target, its log so far, and whether it reads keys.txt. */
interface Logged {
  url: string;
  stop(): Promise<unknown>;
  logs(): string;
}

type Start = (env: Record<string, string>, keysFile?: string) => Promise<Logged>;

const targets: [string, Start][] = [
  [
    "self-host",
    async (env, keysFile) => {
      const dataDir = temporaryDirectory();
      const file = join(dataDir, "keys.txt");
      if (keysFile !== undefined) writeFileSync(file, keysFile);
      const child = await startSelfHost({ DATA_DIR: dataDir, KEYS_FILE: file, ...env });
      return Object.assign(child, { logs: () => child.output() });
    },
  ],
  [
    "worker under workerd",
    async (env) => {
      let output = "";
      const worker = await startWorker(env, undefined, (text) => (output += text));
      return Object.assign(worker, { logs: () => output });
    },
  ],
];

/** `key` with `character` put inside it, where no trimming can remove it. */
const spoiled = (key: string, character: string) => `${key.slice(0, 20)}${character}${key.slice(20)}`;

const chat = (base: string, text: string) =>
  fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${accessKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "user", content: text }] }),
  });
const generate = (base: string, text: string) =>
  fetch(`${base}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: "POST",
    headers: { "x-goog-api-key": accessKey, "content-type": "application/json" },
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text }] }] }),
  });

/** Masked pool keys the admin API lists, with their status. */
async function listedKeys(base: string): Promise<{ key: string; status: string; reason?: string | null }[]> {
  const response = await fetch(`${base}/api/keys?pageSize=100`, { headers: { authorization: `Bearer ${adminKey}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { keys: { key: string; status: string; reason?: string | null }[] }).keys;
}

describe.each(targets)("pool keys from the environment and keys.txt on %s", (name, start) => {
  let sim: GeminiSimulator;
  let target: Logged;
  const good: string[] = [];
  const bad: string[] = [];
  const answers: string[] = [];

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    const [first = "", second = "", third = "", fourth = "", fifth = ""] = sim.createKeys(5);
    good.push(first, second);
    bad.push(spoiled(third, "\r"), spoiled(fourth, "\u200b"));
    // A zero-width space or CR at the end of a key is copy-and-paste padding: trimmed, the key kept.
    const env = { AUTH_KEY: accessKey, ADMIN_KEY: adminKey, GEMINI_UPSTREAM: sim.url, GEMINI_API_KEYS: [first, bad[0], `${second}\u200b`, bad[1]].join(",") };
    if (name === "self-host") {
      good.push(fifth);
      bad.push(spoiled(fifth, " "));
    }
    // keys.txt as an editor on Windows saves it: BOM, CRLF, a comment.
    target = await start(env, `\ufeff# pool keys\r\n${fifth}\r\n${bad[2] ?? ""}\r\n`);
  });

  afterAll(async () => {
    await target.stop();
    await sim.close();
  });

  it("uses only the well-formed keys: every request is served, never with a malformed key", async () => {
    for (let index = 0; index < 8; index++) {
      const response = index % 2 === 0 ? await chat(target.url, `hello ${index}`) : await generate(target.url, `hello ${index}`);
      const text = await response.text();
      answers.push(text);
      expect(response.status, text).toBe(200);
      expect(text).toContain(`Echo: hello ${index}`);
    }
    const used = new Set(sim.requests.map((request) => request.key));
    for (const key of used) expect(good).toContain(key);
    const listed = await listedKeys(target.url);
    expect(listed.map((entry) => entry.key).sort()).toEqual(good.map(maskSecret).sort());
    expect(listed.every((entry) => entry.status === "active")).toBe(true);
  });

  it("logs each refused key masked, once at start, naming its source", async () => {
    // The worker reads its environment when the first request arrives.
    await (await generate(target.url, "log")).text();
    const rejected = target
      .logs()
      .split("\n")
      .filter((line) => line.includes('"event":"keys.rejected"'))
      .map((line) => JSON.parse(line.slice(line.indexOf("{"))) as { source: string; entry: number; key: string; reason: string });
    const expected = [
      { source: "GEMINI_API_KEYS", entry: 2, key: maskSecret(bad[0]!), reason: "contains whitespace" },
      { source: "GEMINI_API_KEYS", entry: 4, key: maskSecret(bad[1]!), reason: expect.stringMatching(/characters an API key never has/) as unknown as string },
    ];
    if (name === "self-host") expected.push({ source: "keys.txt", entry: 2, key: maskSecret(bad[2]!), reason: "contains whitespace" });
    expect(rejected).toEqual(expected.map((entry) => expect.objectContaining(entry)));
    for (const key of bad) {
      expect(target.logs()).not.toContain(key.slice(4, -3));
      for (const answer of answers) expect(answer).not.toContain(key.slice(4, -3));
    }
  });
});

describe("a malformed key already in the Store (written before keys were checked) on the self-host", () => {
  let sim: GeminiSimulator;
  let target: Logged;
  let good = "";
  let bad = "";

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    good = sim.createKey();
    bad = spoiled(sim.createKey(), "\u200b");
    const dataDir = temporaryDirectory();
    const handle = openSqliteStore(join(dataDir, "gemrelay.sqlite"));
    await handle.store.addKeys([bad], Date.now());
    handle.close();
    const child = await startSelfHost({ DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), AUTH_KEY: accessKey, ADMIN_KEY: adminKey, GEMINI_UPSTREAM: sim.url, GEMINI_API_KEYS: good });
    target = Object.assign(child, { logs: () => child.output() });
  });

  afterAll(async () => {
    await target.stop();
    await sim.close();
    expect(target.logs()).not.toContain(bad.slice(4, -3));
    expect(target.logs()).not.toMatch(/"event":"unhandled"/);
  });

  it("disables it on first use and serves every request with the good key", async () => {
    for (let index = 0; index < 6; index++) {
      const response = index % 2 === 0 ? await chat(target.url, `again ${index}`) : await generate(target.url, `again ${index}`);
      const text = await response.text();
      expect(response.status, text).toBe(200);
      expect(text).not.toContain(bad.slice(4, -3));
    }
    expect(new Set(sim.requests.map((request) => request.key))).toEqual(new Set([good]));
    const listed = await listedKeys(target.url);
    expect(listed.find((entry) => entry.key === maskSecret(bad))).toMatchObject({ status: "disabled" });
    expect(listed.find((entry) => entry.key === maskSecret(good))).toMatchObject({ status: "active" });
  });
});

/**
 * An upstream that breaks off its body after the status line. A cut *error* answer is a failed
 * connection (failover); a cut *success* that gemrelay reads whole (the model list, embeddings)
 * throws inside gemrelay: a real exception, unexpected by the code that meets it.
 */
async function brokenUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    request.resume();
    const status = request.url?.includes(":countTokens") ? 500 : 200;
    response.writeHead(status, { "content-type": "application/json", "content-length": "100000" });
    response.write(status === 500 ? '{"error":{"code":500,' : '{"models":[{"name":"models/gemini-2.5-flash",');
    setImmediate(() => response.socket?.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((done) => server.close(() => done())) };
}

describe.each(targets)("an exception inside gemrelay on %s", (_name, start) => {
  let upstream: Awaited<ReturnType<typeof brokenUpstream>>;
  let target: Logged;
  let poolKey = "";

  beforeAll(async () => {
    upstream = await brokenUpstream();
    const sim = await GeminiSimulator.start();
    poolKey = sim.createKey();
    await sim.close();
    target = await start({ AUTH_KEY: accessKey, ADMIN_KEY: adminKey, GEMINI_UPSTREAM: upstream.url, GEMINI_API_KEYS: poolKey, ROUTING_MAX_ATTEMPTS: "1" });
  });

  afterAll(async () => {
    await target.stop();
    await upstream.close();
  });

  /** Checks a generic 500 and returns its request id (also in the log, with the details). */
  function expectGeneric(response: Response, text: string): string {
    expect(response.status, text).toBe(500);
    const id = response.headers.get("x-request-id") ?? "";
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const body = JSON.parse(text) as { error: Record<string, unknown> };
    expect(body.error.message).toBe(`Internal error in gemrelay (request id ${id}); the details are in gemrelay's log under this id.`);
    expect(text).not.toContain(poolKey);
    expect(text).not.toMatch(/terminated|TypeError|socket|ECONN/i);
    return id;
  }

  it("answers a Gemini client with a generic 500 carrying a request id", async () => {
    const response = await fetch(`${target.url}/v1beta/models`, { headers: { "x-goog-api-key": accessKey } });
    const text = await response.text();
    const id = expectGeneric(response, text);
    expect(JSON.parse(text)).toMatchObject({ error: { code: 500, status: "INTERNAL" } });
    await expect.poll(() => target.logs()).toContain(id);
  });

  it("takes an error answer cut off mid-body for a failed connection, not an exception", async () => {
    const response = await fetch(`${target.url}/v1beta/models/gemini-2.5-flash:countTokens`, {
      method: "POST",
      headers: { "x-goog-api-key": accessKey, "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "count" }] }] }),
    });
    const text = await response.text();
    // One attempt allowed, one egress: nothing could reach Gemini (never a 500 about gemrelay itself).
    expect(response.status, text).toBe(502);
    expect(text).not.toMatch(/Internal error|terminated|TypeError|socket|ECONN/i);
    expect(text).not.toContain(poolKey);
    await expect.poll(() => target.logs()).toMatch(/"model":"gemini-2.5-flash".*"class":"relay-fault"/);
  });

  it("answers an OpenAI client with a generic 500 in OpenAI's shape", async () => {
    const response = await fetch(`${target.url}/v1/embeddings`, {
      method: "POST",
      headers: { authorization: `Bearer ${accessKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gemini-embedding-001", input: "embed" }),
    });
    const text = await response.text();
    const id = expectGeneric(response, text);
    expect(JSON.parse(text)).toMatchObject({ error: { type: "server_error", param: null } });
    await expect.poll(() => target.logs()).toContain(id);
    const line = target
      .logs()
      .split("\n")
      .find((entry) => entry.includes(id));
    expect(line).toMatch(/"event":"unhandled"/);
    expect(line).not.toContain(poolKey);
  });
});
