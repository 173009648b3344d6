/**
 * Issue #16, parts 1 and 2, with unmodified SDKs against the built bundles (self-host, and the
 * worker under workerd), through two egress relays (Netlify and Vercel bundles), with three pool
 * keys under round-robin. Each simulated key is its own Google project: a request naming a file,
 * a cache or a batch with any key but its creator's gets Google's 403/404, so every step below
 * would fail on some rotation without upload protocol forwarding and resource affinity.
 * Every answer a client receives is recorded and checked: no pool key, no Google upload URL.
 */
import { createPartFromUri, createUserContent, GoogleGenAI } from "@google/genai";
import { GoogleGenerativeAI } from "@google/generative-ai";
import OpenAI from "openai";
import { GoogleAICacheManager, GoogleAIFileManager } from "@google/generative-ai/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startRelay, type RunningRelay } from "../helpers/chain.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";
import { GeminiSimulator } from "../sim/index.ts";

const accessKey = "sk-resources-access-0123456789";
const adminKey = "admin-resources-0123456789";
const relayToken = "relay-resources-hop-secret-0123456789";
const model = "gemini-2.5-flash";

/** What a client received: every header and every body, as text. */
const seen: string[] = [];
const originalFetch = globalThis.fetch;

/** Records every answer the SDKs (and the test) receive, then hands it on untouched. */
async function recordingFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const response = await originalFetch(input, init);
  const headers: string[] = [];
  response.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
  seen.push(`${String(input instanceof Request ? input.url : input)}\n${headers.join("\n")}\n${await response.clone().text()}`);
  return response;
}

describe.each(resumeWorkerTargets)("files, caches and batches through gemrelay on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let keys: string[];
  let relays: RunningRelay[];
  let target: Target;

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    keys = sim.createKeys(3);
    relays = [
      await startRelay({ platform: "netlify", id: "a", env: { RELAY_TOKEN: relayToken, GEMINI_UPSTREAM: sim.hopUrl("a") } }),
      await startRelay({ platform: "vercel", id: "b", env: { RELAY_TOKEN: relayToken, GEMINI_UPSTREAM: sim.hopUrl("b") } }),
    ];
    target = await startTarget({
      AUTH_KEY: accessKey,
      ADMIN_KEY: adminKey,
      GEMINI_API_KEYS: keys.join(","),
      RELAY_TOKEN: relayToken,
      RELAY_URLS: relays.map((relay) => relay.url).join(","),
      ROUTING_KEY_STRATEGY: "round-robin",
      // Small, so that an upload larger than it shows uploads are streamed, not held.
      MAX_BODY_BYTES: "65536",
    });
    globalThis.fetch = recordingFetch;
  }, 60_000);

  afterAll(async () => {
    globalThis.fetch = originalFetch;
    await target?.stop();
    for (const relay of relays ?? []) await relay.stop();
    await sim?.close();
  });

  beforeEach(() => {
    seen.length = 0;
  });

  /** No pool key, no Google upload URL, no Google upload session id in anything a client received. */
  function expectNothingLeaked(): void {
    const googleSessions = sim.requests.flatMap((request) => (request.query.upload_id ? [request.query.upload_id] : []));
    expect(googleSessions.length).toBeGreaterThan(0);
    const everything = seen.join("\n\n");
    expect(seen.length).toBeGreaterThan(0);
    for (const key of keys) expect(everything).not.toContain(key);
    for (const session of googleSessions) expect(everything).not.toContain(session);
    expect(everything).not.toContain(`${sim.url}/hop/`);
    expect(everything).not.toMatch(/x-goog-upload-url: (?!http:\/\/127\.0\.0\.1:\d+\/upload\/v1beta\/files\?upload_id=gru_)/);
    expect(everything).not.toMatch(/x-guploader-uploadid|x-goog-upload-control-url/i);
  }

  /** Which pool keys the simulator saw for requests whose path contains `fragment`. */
  function keysUsedFor(fragment: string): Set<string | null> {
    return new Set(sim.requests.filter((request) => request.path.includes(fragment) || request.rawBody.includes(fragment)).map((request) => request.key));
  }

  it("@google/genai: files.upload/get/list/delete, generate with the file, caches create/use/delete, batches create/get", async () => {
    const ai = new GoogleGenAI({ apiKey: accessKey, httpOptions: { baseUrl: target.url } });
    const file = await ai.files.upload({ file: new Blob(["The capital of Atlantis is Poseidonia."], { type: "text/plain" }), config: { mimeType: "text/plain", displayName: "atlantis" } });
    expect(file.name).toMatch(/^files\//);
    expect(file.sizeBytes).toBe("38");
    const fileName = file.name ?? "";
    const holder = keys.find((key) => sim.resources.ownedBy(key).includes(fileName));
    expect(holder).toBeDefined();

    for (let round = 0; round < 4; round++) {
      expect((await ai.files.get({ name: fileName })).name).toBe(fileName);
      const answer = await ai.models.generateContent({ model, contents: createUserContent([createPartFromUri(file.uri ?? "", "text/plain"), `What is the capital? (${round})`]) });
      expect(answer.text).toContain("Echo:");
    }
    const listed: string[] = [];
    for await (const item of await ai.files.list({ config: { pageSize: 1 } })) listed.push(item.name ?? "");
    expect(listed).toContain(fileName);

    const cache = await ai.caches.create({ model, config: { contents: createUserContent([createPartFromUri(file.uri ?? "", "text/plain")]), ttl: "600s", displayName: "atlantis-cache" } });
    expect(cache.name).toMatch(/^cachedContents\//);
    expect(sim.resources.ownedBy(holder ?? "")).toContain(cache.name);
    for (let round = 0; round < 4; round++) {
      const answer = await ai.models.generateContent({ model, contents: `From the cache (${round})`, config: { cachedContent: cache.name ?? "" } });
      expect(answer.text).toContain("Echo:");
    }
    expect((await ai.caches.get({ name: cache.name ?? "" })).name).toBe(cache.name);
    await ai.caches.delete({ name: cache.name ?? "" });

    const batch = await ai.batches.create({ model, src: [{ contents: [{ role: "user", parts: [{ text: "batched" }] }] }], config: { displayName: "b1" } });
    expect(batch.name).toMatch(/^batches\//);
    for (let round = 0; round < 3; round++) expect((await ai.batches.get({ name: batch.name ?? "" })).name).toBe(batch.name);

    await ai.files.delete({ name: fileName });
    expect(sim.resources.ownedBy(holder ?? "")).not.toContain(fileName);
    expect(sim.resources.ownedBy(holder ?? "")).not.toContain(cache.name);
    // Every request naming the file, the cache or the batch went out with its creator's key.
    expect(keysUsedFor(fileName.slice("files/".length))).toEqual(new Set([holder]));
    expect(keysUsedFor(cache.name ?? "")).toEqual(new Set([holder]));
    expect(keysUsedFor(batch.name ?? "").size).toBe(1);
    // And the rotation really rotated: more than one key served this test.
    expect(new Set(sim.requests.map((request) => request.key)).size).toBeGreaterThan(1);
    expectNothingLeaked();
  });

  it("@google/generative-ai: GoogleAIFileManager (multipart) and GoogleAICacheManager, generate with each", async () => {
    const requestOptions = { baseUrl: target.url };
    const files = new GoogleAIFileManager(accessKey, requestOptions);
    const uploaded = await files.uploadFile(Buffer.from("Legacy SDK notes: the answer is 42."), { mimeType: "text/plain", displayName: "legacy" });
    expect(uploaded.file.name).toMatch(/^files\//);
    expect(sim.requests.some((request) => request.headers["x-goog-upload-protocol"] === "multipart")).toBe(true);
    const genAI = new GoogleGenerativeAI(accessKey);
    const generative = genAI.getGenerativeModel({ model }, requestOptions);
    for (let round = 0; round < 4; round++) {
      expect((await files.getFile(uploaded.file.name)).name).toBe(uploaded.file.name);
      const answer = await generative.generateContent([{ fileData: { fileUri: uploaded.file.uri, mimeType: "text/plain" } }, { text: `What is the answer? (${round})` }]);
      expect(answer.response.text()).toContain("Echo:");
    }
    const listed = await files.listFiles();
    expect(listed.files?.map((file) => file.name)).toContain(uploaded.file.name);

    const caches = new GoogleAICacheManager(accessKey, requestOptions);
    const cache = await caches.create({ model: `models/${model}`, contents: [{ role: "user", parts: [{ fileData: { fileUri: uploaded.file.uri, mimeType: "text/plain" } }] }], ttlSeconds: 600 });
    expect(cache.name).toMatch(/^cachedContents\//);
    const cached = genAI.getGenerativeModelFromCachedContent(cache, {}, requestOptions);
    for (let round = 0; round < 4; round++) {
      expect((await cached.generateContent(`From the legacy cache (${round})`)).response.text()).toContain("Echo:");
      expect((await caches.get(cache.name ?? "")).name).toBe(cache.name);
    }
    await caches.delete(cache.name ?? "");
    await files.deleteFile(uploaded.file.name);
    const holder = keysUsedFor(uploaded.file.name.slice("files/".length));
    expect(holder.size).toBe(1);
    expect(keysUsedFor(cache.name ?? "")).toEqual(holder);
  });

  it("openai SDK: a chat message's file part names the uploaded file (file_id as name or uri) and goes out with its key", async () => {
    const ai = new GoogleGenAI({ apiKey: accessKey, httpOptions: { baseUrl: target.url } });
    const file = await ai.files.upload({ file: new Blob(["Notes for the OpenAI client."], { type: "text/plain" }), config: { mimeType: "text/plain" } });
    const fileName = file.name ?? "";
    const holder = keys.find((key) => sim.resources.ownedBy(key).includes(fileName));
    expect(holder).toBeDefined();
    const openai = new OpenAI({ apiKey: accessKey, baseURL: `${target.url}/v1`, fetch: recordingFetch });
    for (const [round, fileId] of [fileName, file.uri ?? "", fileName, file.uri ?? ""].entries()) {
      const before = sim.requests.length;
      const completion = await openai.chat.completions.create({
        model,
        messages: [{ role: "user", content: [{ type: "file", file: { file_id: fileId } }, { type: "text", text: `Summarise (${round})` }] }],
      });
      expect(completion.choices[0]?.message.content).toContain("Echo:");
      // Every attempt went out with the key that holds the file (no other key's 403 first).
      const attempts = sim.requests.slice(before).filter((request) => request.model === model);
      expect(attempts.map((request) => request.key)).toEqual([holder]);
      expect(JSON.stringify(attempts[0]?.body)).toContain(`${fileName}"`);
    }
    await expect(
      openai.chat.completions.create({ model, messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-abc123" } }] }] }),
    ).rejects.toMatchObject({ status: 400, param: "messages[0].content[0].file.file_id" });
    expectNothingLeaked();
  });

  it("streams an upload larger than MAX_BODY_BYTES and uses it", async () => {
    const ai = new GoogleGenAI({ apiKey: accessKey, httpOptions: { baseUrl: target.url } });
    const text = "0123456789abcdef".repeat(20_000);
    const file = await ai.files.upload({ file: new Blob([text], { type: "text/plain" }), config: { mimeType: "text/plain" } });
    expect(file.sizeBytes).toBe(String(text.length));
    for (let round = 0; round < 3; round++) {
      const answer = await ai.models.generateContent({ model, contents: createUserContent([createPartFromUri(file.uri ?? "", "text/plain"), `Large (${round})`]) });
      expect(answer.text).toContain("Echo:");
    }
    expectNothingLeaked();
  });

  it("keeps the resumable session on one key and on gemrelay, chunk by chunk (curl's way), and never leaks Google's URL", async () => {
    const earlier = sim.requests.length;
    const start = await fetch(`${target.url}/upload/v1beta/files`, {
      method: "POST",
      headers: {
        "x-goog-api-key": accessKey,
        "content-type": "application/json",
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": "12",
        "x-goog-upload-header-content-type": "text/plain",
      },
      body: JSON.stringify({ file: { displayName: "chunks" } }),
    });
    expect(start.status).toBe(200);
    const uploadUrl = start.headers.get("x-goog-upload-url") ?? "";
    expect(uploadUrl.startsWith(`${target.url}/upload/v1beta/files?upload_id=gru_`)).toBe(true);
    // Without the access key the session URL is refused like any gemrelay path.
    expect((await fetch(uploadUrl, { method: "POST", headers: { "x-goog-upload-command": "upload", "x-goog-upload-offset": "0" }, body: "abcd" })).status).toBe(401);
    // A token gemrelay did not mint never reaches Google.
    const before = sim.requests.length;
    const forged = await fetch(`${target.url}/upload/v1beta/files?upload_id=gru_${"A".repeat(43)}`, { method: "POST", headers: { "x-goog-api-key": accessKey, "x-goog-upload-command": "upload", "x-goog-upload-offset": "0" }, body: "x" });
    expect(forged.status).toBe(404);
    expect(sim.requests.length).toBe(before);
    for (const [offset, chunk] of [[0, "abcd"], [4, "efgh"]] as const) {
      const response = await fetch(uploadUrl, { method: "POST", headers: { "x-goog-api-key": accessKey, "x-goog-upload-command": "upload", "x-goog-upload-offset": String(offset) }, body: chunk });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-goog-upload-status")).toBe("active");
      expect(response.headers.get("x-goog-upload-size-received")).toBe(String(offset + 4));
    }
    const finish = await fetch(uploadUrl, { method: "POST", headers: { "x-goog-api-key": accessKey, "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "8" }, body: "ijkl" });
    expect(finish.headers.get("x-goog-upload-status")).toBe("final");
    const { file } = (await finish.json()) as { file: { name: string; sizeBytes: string } };
    expect(file.sizeBytes).toBe("12");
    const uploads = sim.requests.slice(earlier).filter((request) => request.path.startsWith("/upload/"));
    expect(uploads).toHaveLength(4);
    expect(new Set(uploads.map((request) => request.key)).size).toBe(1);
    expect(new Set(uploads.map((request) => request.hop)).size).toBeGreaterThan(1);
    // The session is finished: its URL is gone.
    expect((await fetch(uploadUrl, { method: "POST", headers: { "x-goog-api-key": accessKey, "x-goog-upload-command": "query" } })).status).toBe(404);
    expectNothingLeaked();
  });
});
