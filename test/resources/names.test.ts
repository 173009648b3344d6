import { describe, expect, it } from "vitest";
import { expiryOf } from "../../shared/resources/affinity.ts";
import { bodyResources, createdAlongside, createdResource, listedCollection, mayCreate, pathResource } from "../../shared/resources/names.ts";
import { gemrelayUploadUrl, isUploadToken, newUploadToken, uploadTarget } from "../../shared/resources/uploads.ts";

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer;

describe("resource names", () => {
  it("reads the owned resource of a path, and nothing from model and collection paths", () => {
    expect(pathResource("/v1beta/files/abc-1")).toBe("files/abc-1");
    expect(pathResource("/v1beta/cachedContents/x1")).toBe("cachedContents/x1");
    expect(pathResource("/v1beta/batches/b1:cancel")).toBe("batches/b1");
    expect(pathResource("/v1alpha/models/veo-2/operations/op1")).toBe("models/veo-2/operations/op1");
    expect(pathResource("/v1beta/tunedModels/t1:generateContent")).toBe("tunedModels/t1");
    expect(pathResource("/v1beta/fileSearchStores/s1/documents/d1")).toBe("fileSearchStores/s1");
    expect(pathResource("/v1beta/models/gemini-2.5-flash:generateContent")).toBeNull();
    expect(pathResource("/v1beta/files")).toBeNull();
    expect(pathResource("/upload/v1beta/files")).toBeNull();
  });

  it("finds files and caches a body names, in any spelling the clients use", () => {
    const body = {
      contents: [{ parts: [{ fileData: { fileUri: "https://generativelanguage.googleapis.com/v1beta/files/f1", mimeType: "text/plain" } }, { file_data: { file_uri: "files/f2" } }, { text: "files/f3 is only text" }] }],
      cachedContent: "cachedContents/c1",
    };
    expect(bodyResources(encode(body)).sort()).toEqual(["cachedContents/c1", "files/f1", "files/f2"]);
    expect(bodyResources(encode({ contents: [{ parts: [{ text: "hello" }] }] }))).toEqual([]);
    expect(bodyResources(encode({ batch: { inputConfig: { fileName: "files/input1" } } }))).toEqual(["files/input1"]);
  });

  it("reads created resources and their expiry from create answers", () => {
    expect(createdResource({ file: { name: "files/f1", expirationTime: "2026-12-06T00:00:00Z" } })).toEqual({ name: "files/f1", expiresAt: Date.parse("2026-12-06T00:00:00Z") });
    expect(createdResource({ name: "cachedContents/c1", expireTime: "2026-12-05T01:00:00.5Z" })).toEqual({ name: "cachedContents/c1", expiresAt: Date.parse("2026-12-05T01:00:00.5Z") });
    expect(createdResource({ name: "batches/b1", metadata: {} })).toEqual({ name: "batches/b1", expiresAt: null });
    expect(createdResource({ name: "models/gemini-2.5-flash" })).toBeNull();
    expect(createdResource({ candidates: [] })).toBeNull();
    expect(createdAlongside({ name: "tunedModels/t1/operations/o1", metadata: { tunedModel: "tunedModels/t1" } })).toEqual(["tunedModels/t1"]);
    expect(mayCreate("POST", "/upload/v1beta/files")).toBe(true);
    expect(mayCreate("POST", "/v1beta/cachedContents")).toBe(true);
    expect(mayCreate("POST", "/v1beta/models/gemini-2.5-flash:batchGenerateContent")).toBe(true);
    expect(mayCreate("PATCH", "/v1beta/cachedContents/c1")).toBe(true);
    expect(mayCreate("POST", "/v1beta/models/gemini-embedding-001:batchEmbedContents")).toBe(false);
    expect(mayCreate("POST", "/v1beta/models/gemini-2.5-flash:countTokens")).toBe(false);
    expect(listedCollection("GET", "/v1beta/files")).toBe("files");
    expect(listedCollection("GET", "/v1beta/batches")).toBe("batches");
    expect(listedCollection("POST", "/v1beta/cachedContents")).toBeNull();
  });

  it("bounds every record's expiry: the answer's, else the kind's lifetime, never beyond 400 days", () => {
    const now = 1_000_000;
    expect(expiryOf("files/f1", null, now)).toBe(now + 48 * 3_600_000);
    expect(expiryOf("cachedContents/c", now + 5_000, now)).toBe(now + 5_000);
    expect(expiryOf("batches/b", null, now)).toBe(now + 7 * 86_400_000);
    expect(expiryOf("tunedModels/t", now + 10_000 * 86_400_000, now)).toBe(now + 400 * 86_400_000);
  });
});

describe("upload sessions", () => {
  it("mints unguessable tokens and keeps only Google's upload path, never a key or a host", () => {
    const token = newUploadToken();
    expect(isUploadToken(token)).toBe(true);
    expect(newUploadToken()).not.toBe(token);
    expect(isUploadToken("gru_short")).toBe(false);
    expect(uploadTarget("https://generativelanguage.googleapis.com/upload/v1beta/files?key=AIzaSecret&upload_id=G1&upload_protocol=resumable")).toBe("/upload/v1beta/files?upload_id=G1&upload_protocol=resumable");
    expect(uploadTarget("http://127.0.0.1:9/hop/a/upload/v1beta/files?upload_id=G2")).toBe("/upload/v1beta/files?upload_id=G2");
    expect(() => uploadTarget("https://evil.example/v1beta/models/x:generateContent")).toThrow(/outside \/upload\//);
    expect(gemrelayUploadUrl(new URL("https://relay.example/proxy/g/upload/v1beta/files"), "/proxy/g", "v1beta", token)).toBe(`https://relay.example/proxy/g/upload/v1beta/files?upload_id=${token}&upload_protocol=resumable`);
  });
});
