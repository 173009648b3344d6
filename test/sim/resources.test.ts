import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GeminiSimulator } from "./index.ts";

let sim: GeminiSimulator;
let owner: string;
let other: string;

beforeAll(async () => {
  sim = await GeminiSimulator.start();
  [owner, other] = sim.createKeys(2) as [string, string];
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

function call(path: string, key: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${sim.url}${path}`, { ...init, headers: { "x-goog-api-key": key, ...(init.headers as Record<string, string> | undefined) } });
}

async function resumable(key: string, text: string): Promise<{ name: string; uri: string }> {
  const start = await call("/upload/v1beta/files", key, {
    method: "POST",
    headers: { "content-type": "application/json", "x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start", "x-goog-upload-header-content-type": "text/plain" },
    body: JSON.stringify({ file: { displayName: "notes" } }),
  });
  expect(start.status).toBe(200);
  const url = start.headers.get("x-goog-upload-url") ?? "";
  expect(url).toContain("upload_id=");
  const finish = await fetch(url, { method: "POST", headers: { "x-goog-api-key": key, "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0" }, body: text });
  expect(finish.headers.get("x-goog-upload-status")).toBe("final");
  return ((await finish.json()) as { file: { name: string; uri: string } }).file;
}

describe("simulated resources", () => {
  it("uploads resumably in chunks and serves the file to its project only", async () => {
    const start = await call("/upload/v1beta/files", owner, {
      method: "POST",
      headers: { "x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start" },
      body: JSON.stringify({ file: { mimeType: "text/plain" } }),
    });
    const url = start.headers.get("x-goog-upload-url") ?? "";
    const foreign = await fetch(url, { method: "POST", headers: { "x-goog-api-key": other, "x-goog-upload-command": "upload", "x-goog-upload-offset": "0" }, body: "abc" });
    expect(foreign.status).toBe(403);
    const first = await fetch(url, { method: "POST", headers: { "x-goog-api-key": owner, "x-goog-upload-command": "upload", "x-goog-upload-offset": "0" }, body: "abc" });
    expect(first.headers.get("x-goog-upload-size-received")).toBe("3");
    const last = await fetch(url, { method: "POST", headers: { "x-goog-api-key": owner, "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "3" }, body: "def" });
    const { file } = (await last.json()) as { file: { name: string; sizeBytes: string } };
    expect(file.sizeBytes).toBe("6");
    expect((await call(`/v1beta/${file.name}`, owner)).status).toBe(200);
    const denied = await call(`/v1beta/${file.name}`, other);
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { status: string } }).error.status).toBe("PERMISSION_DENIED");
    expect(((await (await call("/v1beta/files", other)).json()) as object)).toEqual({});
    expect((await call(`/v1beta/${file.name}`, owner, { method: "DELETE" })).status).toBe(200);
    expect((await call(`/v1beta/${file.name}`, owner)).status).toBe(403);
  });

  it("takes multipart uploads and pages file lists", async () => {
    const boundary = "b0undary";
    for (const index of [1, 2, 3]) {
      const body = `--${boundary}\r\nContent-Type: application/json; charset=utf-8\r\n\r\n${JSON.stringify({ file: { displayName: `f${index}` } })}\r\n--${boundary}\r\nContent-Type: text/plain\r\n\r\nhello ${index}\r\n--${boundary}--`;
      const response = await call("/upload/v1beta/files", owner, { method: "POST", headers: { "x-goog-upload-protocol": "multipart", "content-type": `multipart/related; boundary=${boundary}` }, body });
      expect(((await response.json()) as { file: { sizeBytes: string; mimeType: string } }).file).toMatchObject({ sizeBytes: "7", mimeType: "text/plain" });
    }
    const first = (await (await call("/v1beta/files?pageSize=2", owner)).json()) as { files: unknown[]; nextPageToken: string };
    expect(first.files).toHaveLength(2);
    const second = (await (await call(`/v1beta/files?pageSize=2&pageToken=${first.nextPageToken}`, owner)).json()) as { files: unknown[]; nextPageToken?: string };
    expect(second.files).toHaveLength(1);
    expect(second.nextPageToken).toBeUndefined();
  });

  it("refuses a generate naming another project's file or cache, and owns caches and batches per project", async () => {
    const file = await resumable(owner, "some text");
    const generate = (key: string, part: object, extra: object = {}) =>
      call("/v1beta/models/gemini-2.5-flash:generateContent", key, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ contents: [{ role: "user", parts: [part] }], ...extra }) });
    expect((await generate(owner, { fileData: { fileUri: file.uri, mimeType: "text/plain" } })).status).toBe(200);
    expect((await generate(other, { fileData: { fileUri: file.uri, mimeType: "text/plain" } })).status).toBe(403);
    const cache = (await (await call("/v1beta/cachedContents", owner, { method: "POST", body: JSON.stringify({ model: "models/gemini-2.5-flash", contents: [{ role: "user", parts: [{ text: "x" }] }], ttl: "60s" }) })).json()) as { name: string };
    expect(cache.name).toMatch(/^cachedContents\//);
    expect((await generate(owner, { text: "hi" }, { cachedContent: cache.name })).status).toBe(200);
    expect((await generate(other, { text: "hi" }, { cachedContent: cache.name })).status).toBe(403);
    expect((await call(`/v1beta/${cache.name}`, other)).status).toBe(404);
    const batch = (await (await call("/v1beta/models/gemini-2.5-flash:batchGenerateContent", owner, { method: "POST", body: JSON.stringify({ batch: { inputConfig: { requests: { requests: [{ request: { contents: [{ parts: [{ text: "a" }] }] } }] } } } }) })).json()) as { name: string };
    expect((await call(`/v1beta/${batch.name}`, owner)).status).toBe(200);
    expect((await call(`/v1beta/${batch.name}`, other)).status).toBe(404);
    expect(sim.resources.ownedBy(owner).sort()).toEqual([batch.name, cache.name, file.name].sort());
  });
});
