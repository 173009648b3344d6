/**
 * Issue #16, part 2: what a client is told when the key holding its file dies or cools (a clear
 * error naming the resource, never another key's 403), a body naming resources of two keys, pass-
 * through clients left alone; on the self-host and the worker under workerd. Then two self-host
 * instances on one Redis: a session started on one continues on the other, and the file it made
 * is pinned on both.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSelfHost, temporaryDirectory, type Child } from "../helpers/process.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";
import { GeminiSimulator } from "../sim/index.ts";

const accessKey = "sk-affinity-access-0123456789";
const adminKey = "admin-affinity-0123456789";
const generatePath = "/v1beta/models/gemini-2.5-flash:generateContent";

/** A multipart upload (the legacy SDK's way) of `text`; the file resource. */
async function upload(base: string, text: string): Promise<{ name: string; uri: string }> {
  const boundary = "affinity-boundary";
  const body = `--${boundary}\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{"file":{}}\r\n--${boundary}\r\nContent-Type: text/plain\r\n\r\n${text}\r\n--${boundary}--`;
  const response = await fetch(`${base}/upload/v1beta/files`, {
    method: "POST",
    headers: { "x-goog-api-key": accessKey, "x-goog-upload-protocol": "multipart", "content-type": `multipart/related; boundary=${boundary}` },
    body,
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { file: { name: string; uri: string } }).file;
}

function generateWith(base: string, ...uris: string[]): Promise<Response> {
  const parts = [...uris.map((fileUri) => ({ fileData: { fileUri, mimeType: "text/plain" } })), { text: "Summarise." }];
  return fetch(`${base}${generatePath}`, { method: "POST", headers: { "x-goog-api-key": accessKey, "content-type": "application/json" }, body: JSON.stringify({ contents: [{ role: "user", parts }] }) });
}

async function errorOf(response: Response): Promise<{ code: number; message: string; status: string; details?: { retryDelay?: string }[] }> {
  return ((await response.json()) as { error: { code: number; message: string; status: string } }).error;
}

describe.each(resumeWorkerTargets)("resource affinity on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let keys: string[];
  let target: Target;

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    keys = sim.createKeys(3);
    target = await startTarget({ AUTH_KEY: accessKey, ADMIN_KEY: adminKey, GEMINI_API_KEYS: keys.join(","), GEMINI_UPSTREAM: sim.url, ROUTING_KEY_STRATEGY: "round-robin" });
  }, 60_000);

  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  const holderOf = (name: string) => keys.find((key) => sim.resources.ownedBy(key).includes(name));

  it("answers a clear error naming the file when its key is disabled or cooling, and never tries another key", async () => {
    const files = [await upload(target.url, "first"), await upload(target.url, "second"), await upload(target.url, "third")];
    const holders = files.map((file) => holderOf(file.name));
    expect(new Set(holders).size).toBe(3);
    const [dead, cooling, healthy] = files as [typeof files[0], typeof files[0], typeof files[0]];

    // Resources of two keys in one request: refused before any attempt.
    const before = sim.requests.length;
    const mixed = await generateWith(target.url, healthy.uri, cooling.uri);
    expect(mixed.status).toBe(400);
    expect((await errorOf(mixed)).message).toMatch(/belong to different Gemini keys/);
    expect(sim.requests.length).toBe(before);

    sim.setKeyBehaviour(holders[0] ?? "", "suspended");
    const disabled = await generateWith(target.url, dead.uri);
    expect(disabled.status).toBe(503);
    const disabledError = await errorOf(disabled);
    expect(disabledError.message).toContain(dead.name);
    expect(disabledError.message).toMatch(/disabled/);
    // The path form is pinned too, and now refused without an upstream call.
    const count = sim.requests.length;
    const get = await fetch(`${target.url}/v1beta/${dead.name}`, { headers: { "x-goog-api-key": accessKey } });
    expect(get.status).toBe(503);
    expect((await errorOf(get)).message).toContain(dead.name);
    expect(sim.requests.length).toBe(count);

    sim.setKeyBehaviour(holders[1] ?? "", "rate-limit-minute", { retryDelay: "30s" });
    const cooled = await generateWith(target.url, cooling.uri);
    expect(cooled.status).toBe(429);
    const cooledError = await errorOf(cooled);
    expect(cooledError.message).toContain(cooling.name);
    expect(cooledError.message).toMatch(/cooling down/);
    expect(cooledError.details?.[0]?.retryDelay).toMatch(/^\d+s$/);

    // The healthy one still works, every time, with its own key.
    for (let round = 0; round < 3; round++) expect((await generateWith(target.url, healthy.uri)).status).toBe(200);
    // Nothing naming a file ever went out with a key other than its holder.
    for (const [index, file] of files.entries()) {
      const id = file.name.slice("files/".length);
      const used = sim.requests.filter((request) => request.rawBody.includes(id) || request.path.includes(id)).map((request) => request.key);
      expect(new Set(used)).toEqual(new Set([holders[index]]));
    }
  });

  it("lists files and caches of every key, merged, page after page with gemrelay's tokens", async () => {
    sim.reset();
    const uploaded = [];
    for (let index = 0; index < 5; index++) uploaded.push((await upload(target.url, `page ${index}`)).name);
    // Round-robin spread them over the keys still active (the first test disabled one).
    expect(new Set(uploaded.map(holderOf)).size).toBeGreaterThan(1);
    const listed: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const response = await fetch(`${target.url}/v1beta/files?pageSize=2${token ? `&pageToken=${encodeURIComponent(token)}` : ""}`, { headers: { "x-goog-api-key": accessKey } });
      expect(response.status).toBe(200);
      const page = (await response.json()) as { files?: { name: string }[]; nextPageToken?: string };
      expect(page.files?.length ?? 0).toBeGreaterThan(0);
      expect(page.files?.length ?? 0).toBeLessThanOrEqual(2);
      listed.push(...(page.files ?? []).map((file) => file.name));
      token = page.nextPageToken;
      // Tokens are gemrelay's: no key, and not Google's own.
      for (const key of keys) expect(token ?? "").not.toContain(key);
      pages += 1;
    } while (token !== undefined && pages < 10);
    expect(listed.sort()).toEqual([...uploaded].sort());
    expect(token).toBeUndefined();

    const cache = await fetch(`${target.url}/v1beta/cachedContents`, { method: "POST", headers: { "x-goog-api-key": accessKey, "content-type": "application/json" }, body: JSON.stringify({ model: "models/gemini-2.5-flash", contents: [{ role: "user", parts: [{ text: "cached" }] }], ttl: "300s" }) });
    const { name } = (await cache.json()) as { name: string };
    const caches = (await (await fetch(`${target.url}/v1beta/cachedContents`, { headers: { "x-goog-api-key": accessKey } })).json()) as { cachedContents?: { name: string }[] };
    expect(caches.cachedContents?.map((entry) => entry.name)).toEqual([name]);

    const forged = await fetch(`${target.url}/v1beta/files?pageToken=not-ours`, { headers: { "x-goog-api-key": accessKey } });
    expect(forged.status).toBe(400);
    expect((await errorOf(forged)).message).toMatch(/Invalid page token/);
  });

  it("leaves pass-through clients' resource requests alone", async () => {
    const own = sim.createKey();
    const response = await fetch(`${target.url}/v1beta/files?pageSize=5`, { headers: { "x-goog-api-key": own, "x-relay-auth": accessKey } });
    expect(response.status).toBe(200);
    const last = sim.requests.at(-1);
    expect(last).toMatchObject({ key: own, path: "/v1beta/files", query: { pageSize: "5" } });
  });
});

describe("resource records shared over Redis by two self-host instances", () => {
  let redis: RedisServer;
  let sim: GeminiSimulator;
  let keys: string[];
  const instances: (Child & { url: string })[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    sim = await GeminiSimulator.start();
    keys = sim.createKeys(3);
    for (let index = 0; index < 2; index++) {
      const dataDir = temporaryDirectory();
      instances.push(
        await startSelfHost({ GEMINI_API_KEYS: keys.join(","), AUTH_KEY: accessKey, ADMIN_KEY: adminKey, DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), GEMINI_UPSTREAM: sim.url, REDIS_URL: redis.url }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const instance of instances) await instance.stop();
    await sim?.close();
    await redis?.stop();
  });

  it("continues an upload session on the other instance and pins the file on both", async () => {
    const [first, second] = instances as [Child & { url: string }, Child & { url: string }];
    const start = await fetch(`${first.url}/upload/v1beta/files`, {
      method: "POST",
      headers: { "x-goog-api-key": accessKey, "content-type": "application/json", "x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start" },
      body: JSON.stringify({ file: { mimeType: "text/plain" } }),
    });
    const uploadUrl = new URL(start.headers.get("x-goog-upload-url") ?? "");
    const onSecond = `${second.url}${uploadUrl.pathname}${uploadUrl.search}`;
    const finish = await fetch(onSecond, { method: "POST", headers: { "x-goog-api-key": accessKey, "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0" }, body: "shared over redis" });
    expect(finish.status, await finish.clone().text()).toBe(200);
    const { file } = (await finish.json()) as { file: { name: string; uri: string } };
    for (let round = 0; round < 6; round++) {
      const instance = round % 2 === 0 ? first : second;
      expect((await generateWith(instance.url, file.uri)).status).toBe(200);
    }
    const id = file.name.slice("files/".length);
    expect(new Set(sim.requests.filter((request) => request.rawBody.includes(id)).map((request) => request.key)).size).toBe(1);
  });
});
