/**
 * Gemini's project-owned resources: files (resumable and multipart uploads), cached contents,
 * batches and long-running operations. Each belongs to the project of the key that created it;
 * in the simulator every key is its own project, so a request naming a resource with any other key
 * gets Google's 403 — what a rotated pool meets when it sends `files/abc` with the wrong key.
 * Upload bodies are read as UTF-8 text (the simulator's request reader): tests upload text.
 */
import { createHash, randomBytes } from "node:crypto";
import { googleError, type HttpAnswer } from "./errors.ts";
import type { RecordedRequest } from "./types.ts";

const day = 86_400_000;
const fileLifetime = 2 * day;
const defaultCacheTtl = 3_600_000;

/** One stored resource: its owner key and the JSON Google answers for it. */
interface Owned {
  owner: string;
  resource: Record<string, unknown>;
  expiresAt: number;
}

/** A resumable upload session between its start and its finalize. */
interface UploadSession {
  owner: string;
  metadata: Record<string, unknown>;
  mimeType: string;
  received: string;
}

const kinds = {
  files: { list: "files", notFound: (id: string) => `You do not have permission to access the File ${id} or it may not exist.` },
  cachedContents: { list: "cachedContents", notFound: () => "CachedContent not found (or permission denied)" },
  batches: { list: "operations", notFound: (id: string) => `Batch batches/${id} not found or you do not have permission to access it.` },
  operations: { list: "operations", notFound: (id: string) => `Operation ${id} not found or you do not have permission to access it.` },
} as const;

type Kind = keyof typeof kinds;

/** A path this module answers: `/upload/v1beta/files`, `/v1beta/{files|cachedContents|batches}[/id]`, batch and long-running creates, operations. */
const uploadPath = /^\/upload\/(?:v1beta|v1alpha|v1)\/files$/;
const collectionPath = /^\/(?:v1beta|v1alpha|v1)\/(files|cachedContents|batches)(?:\/([\w-]+))?(?::(cancel))?$/;
const createPath = /^\/(?:v1beta|v1alpha|v1)\/models\/([\w.-]+):(batchGenerateContent|predictLongRunning)$/;
const operationPath = /^\/(?:v1beta|v1alpha|v1)\/(models\/[\w.-]+\/operations\/[\w-]+)$/;

/** Whether {@link ResourceRegistry.answer} serves `path`. */
export function isResourcePath(path: string): boolean {
  return uploadPath.test(path) || collectionPath.test(path) || createPath.test(path) || operationPath.test(path);
}

function randomId(): string {
  return randomBytes(6).toString("hex");
}

function timestamp(at: number): string {
  return new Date(at).toISOString();
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A `ttl` such as "300s" or "1.5s", in ms; null when absent or malformed. */
function ttlMs(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value);
  return match ? Math.round(Number(match[1]) * 1000) : null;
}

/** Files, caches, batches and operations of every simulated project. */
export class ResourceRegistry {
  readonly #items = new Map<string, Owned>();
  readonly #sessions = new Map<string, UploadSession>();

  constructor(
    private readonly now: () => number,
    private readonly baseUrl: string,
  ) {}

  /** Forgets everything. */
  reset(): void {
    this.#items.clear();
    this.#sessions.clear();
  }

  /** Names of live resources owned by `key` (test assertions). */
  ownedBy(key: string): string[] {
    this.#expire();
    return [...this.#items].filter(([, item]) => item.owner === key).map(([name]) => name);
  }

  /**
   * The 403 for a generate (or cache create) body naming a file or cached content that `key`'s
   * project does not hold, or null.
   */
  referenceRefusal(key: string, body: unknown): HttpAnswer | null {
    this.#expire();
    for (const name of referencedNames(body)) {
      const item = this.#items.get(name);
      if (item?.owner === key) continue;
      const [kind = "files", id = ""] = name.split("/");
      return googleError(403, kinds[kind as Kind].notFound(id));
    }
    return null;
  }

  /** The answer to a request on a resource path (the key already checked as valid). */
  answer(recorded: RecordedRequest): HttpAnswer {
    this.#expire();
    const key = recorded.key ?? "";
    if (uploadPath.test(recorded.path)) return this.#upload(recorded, key);
    const create = createPath.exec(recorded.path);
    if (create) return this.#createOperation(recorded, key, create[1] ?? "", create[2] ?? "");
    const operation = operationPath.exec(recorded.path);
    if (operation) return this.#read("operations", operation[1] ?? "", key, recorded.method);
    const match = collectionPath.exec(recorded.path);
    const kind = (match?.[1] ?? "files") as Kind;
    const id = match?.[2];
    if (id === undefined) {
      if (recorded.method === "GET") return this.#list(kind, key, recorded.query);
      if (recorded.method === "POST" && kind === "cachedContents") return this.#createCache(recorded, key);
      return googleError(404, "Method not found.");
    }
    if (match?.[3] === "cancel") return this.#read(kind, `${kind}/${id}`, key, "GET");
    return this.#read(kind, `${kind}/${id}`, key, recorded.method, recorded.body);
  }

  #expire(): void {
    const now = this.now();
    for (const [name, item] of this.#items) if (item.expiresAt <= now) this.#items.delete(name);
  }

  #list(kind: Kind, key: string, query: Record<string, string>): HttpAnswer {
    const owned = [...this.#items.values()].filter((item) => item.owner === key && String(item.resource.name).startsWith(`${kind}/`));
    const pageSize = Math.max(1, Math.min(100, Number(query.pageSize ?? "10") || 10));
    const start = query.pageToken ? Number(Buffer.from(query.pageToken, "base64url").toString()) || 0 : 0;
    const page = owned.slice(start, start + pageSize);
    const body: Record<string, unknown> = {};
    if (page.length > 0) body[kinds[kind].list] = page.map((item) => item.resource);
    if (start + pageSize < owned.length) body.nextPageToken = Buffer.from(String(start + pageSize)).toString("base64url");
    return { status: 200, body };
  }

  #read(kind: Kind, name: string, key: string, method: string, body?: unknown): HttpAnswer {
    const item = this.#items.get(name);
    const id = name.split("/").pop() ?? "";
    if (item === undefined || item.owner !== key) return googleError(kind === "files" ? 403 : 404, kinds[kind].notFound(kind === "operations" ? name : id), undefined, kind === "files" ? "PERMISSION_DENIED" : "NOT_FOUND");
    if (method === "DELETE") {
      this.#items.delete(name);
      return { status: 200, body: {} };
    }
    if (method === "PATCH" && kind === "cachedContents") {
      const ttl = ttlMs(record(body).ttl);
      if (ttl !== null) {
        item.expiresAt = this.now() + ttl;
        item.resource.expireTime = timestamp(item.expiresAt);
        item.resource.updateTime = timestamp(this.now());
      }
    }
    return { status: 200, body: item.resource };
  }

  #store(name: string, owner: string, resource: Record<string, unknown>, lifetime: number): Record<string, unknown> {
    this.#items.set(name, { owner, resource, expiresAt: this.now() + lifetime });
    return resource;
  }

  /** A new file resource from its metadata and content. */
  #createFile(owner: string, metadata: Record<string, unknown>, mimeType: string, content: string): Record<string, unknown> {
    const requested = typeof metadata.name === "string" ? metadata.name.replace(/^files\//, "") : "";
    const id = /^[a-z0-9-]{1,40}$/.test(requested) ? requested : randomId();
    const now = this.now();
    const bytes = Buffer.from(content, "utf8");
    return this.#store(`files/${id}`, owner, {
      name: `files/${id}`,
      ...(typeof metadata.displayName === "string" ? { displayName: metadata.displayName } : {}),
      mimeType: typeof metadata.mimeType === "string" ? metadata.mimeType : mimeType,
      sizeBytes: String(bytes.length),
      createTime: timestamp(now),
      updateTime: timestamp(now),
      expirationTime: timestamp(now + fileLifetime),
      sha256Hash: createHash("sha256").update(bytes).digest("base64"),
      uri: `${this.baseUrl}/v1beta/files/${id}`,
      state: "ACTIVE",
      source: "UPLOADED",
    }, fileLifetime);
  }

  /** `/upload/v1beta/files`: multipart in one request, or the resumable protocol's start, chunks and finalize. */
  #upload(recorded: RecordedRequest, key: string): HttpAnswer {
    const protocol = (recorded.headers["x-goog-upload-protocol"] ?? "").toLowerCase();
    const sessionId = recorded.query.upload_id;
    if (sessionId !== undefined) return this.#chunk(recorded, key, sessionId);
    if (protocol === "multipart" || recorded.query.uploadType === "multipart") return this.#multipart(recorded, key);
    if (protocol !== "resumable" || (recorded.headers["x-goog-upload-command"] ?? "").toLowerCase() !== "start") {
      return googleError(400, "Upload requests must set X-Goog-Upload-Protocol (resumable or multipart).");
    }
    const id = randomBytes(24).toString("base64url");
    const metadata = record(record(recorded.body).file);
    const mimeType = recorded.headers["x-goog-upload-header-content-type"] ?? "application/octet-stream";
    this.#sessions.set(id, { owner: key, metadata, mimeType, received: "" });
    const hop = recorded.hop === null ? "" : `/hop/${encodeURIComponent(recorded.hop)}`;
    return {
      status: 200,
      body: "",
      contentType: "text/plain; charset=utf-8",
      headers: {
        "x-goog-upload-url": `${this.baseUrl}${hop}/upload/v1beta/files?upload_id=${id}&upload_protocol=resumable`,
        "x-goog-upload-status": "active",
        "x-goog-upload-chunk-granularity": "8388608",
        "x-guploader-uploadid": id,
      },
    };
  }

  #chunk(recorded: RecordedRequest, key: string, id: string): HttpAnswer {
    const session = this.#sessions.get(id);
    if (session === undefined) return googleError(404, "No upload session with this upload_id.");
    // The session belongs to the project that started it.
    if (session.owner !== key) return googleError(403, "The upload session belongs to another project.");
    const command = (recorded.headers["x-goog-upload-command"] ?? "").toLowerCase().split(/\s*,\s*/);
    const received = Buffer.byteLength(session.received);
    if (command.includes("query")) return { status: 200, body: "", contentType: "text/plain", headers: { "x-goog-upload-status": "active", "x-goog-upload-size-received": String(received) } };
    if (command.includes("upload")) {
      const offset = Number(recorded.headers["x-goog-upload-offset"] ?? "NaN");
      if (offset !== received) return googleError(400, `Upload offset ${String(offset)} does not match the ${received} bytes received.`);
      session.received += recorded.rawBody;
    }
    if (!command.includes("finalize")) {
      return { status: 200, body: "", contentType: "text/plain", headers: { "x-goog-upload-status": "active", "x-goog-upload-size-received": String(Buffer.byteLength(session.received)) } };
    }
    this.#sessions.delete(id);
    const file = this.#createFile(key, session.metadata, session.mimeType, session.received);
    return { status: 200, body: { file }, headers: { "x-goog-upload-status": "final" } };
  }

  #multipart(recorded: RecordedRequest, key: string): HttpAnswer {
    const boundary = /boundary=("?)([^";]+)\1/i.exec(recorded.headers["content-type"] ?? "")?.[2];
    if (boundary === undefined) return googleError(400, "Multipart uploads need a multipart/related content type with a boundary.");
    const parts = recorded.rawBody.split(`--${boundary}`).slice(1, -1).map((part) => {
      const split = part.indexOf("\r\n\r\n");
      const head = part.slice(0, split);
      const content = part.slice(split + 4).replace(/\r\n$/, "");
      return { type: /content-type:\s*([^\r\n;]+)/i.exec(head)?.[1]?.trim() ?? "application/octet-stream", content };
    });
    const [meta, data] = parts;
    if (meta === undefined || data === undefined) return googleError(400, "A multipart upload has a metadata part and a media part.");
    let metadata: Record<string, unknown> = {};
    try {
      metadata = record(record(JSON.parse(meta.content)).file);
    } catch {
      return googleError(400, "The metadata part is not JSON.");
    }
    return { status: 200, body: { file: this.#createFile(key, metadata, data.type, data.content) } };
  }

  #createCache(recorded: RecordedRequest, key: string): HttpAnswer {
    const body = record(recorded.body);
    if (typeof body.model !== "string") return googleError(400, "* CreateCachedContentRequest.cached_content.model: field is required.");
    const refusal = this.referenceRefusal(key, body);
    if (refusal) return refusal;
    const now = this.now();
    const expireAt = typeof body.expireTime === "string" ? Date.parse(body.expireTime) : NaN;
    const lifetime = Number.isFinite(expireAt) ? expireAt - now : (ttlMs(body.ttl) ?? defaultCacheTtl);
    const id = randomId();
    const resource = {
      name: `cachedContents/${id}`,
      model: body.model,
      ...(typeof body.displayName === "string" ? { displayName: body.displayName } : {}),
      createTime: timestamp(now),
      updateTime: timestamp(now),
      expireTime: timestamp(now + lifetime),
      usageMetadata: { totalTokenCount: Math.max(1, Math.ceil(JSON.stringify(body.contents ?? []).length / 4)) },
    };
    return { status: 200, body: this.#store(resource.name, key, resource, lifetime) };
  }

  /** `models/{m}:batchGenerateContent` (a batch) and `models/{m}:predictLongRunning` (an operation), done at once. */
  #createOperation(recorded: RecordedRequest, key: string, model: string, method: string): HttpAnswer {
    const refusal = this.referenceRefusal(key, recorded.body);
    if (refusal) return refusal;
    const now = this.now();
    const id = randomId();
    if (method === "predictLongRunning") {
      const name = `models/${model}/operations/${id}`;
      return { status: 200, body: this.#store(name, key, { name, done: true, response: { "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse" } }, 7 * day) };
    }
    const batch = record(record(recorded.body).batch);
    const requests = record(record(batch.inputConfig).requests).requests;
    const count = Array.isArray(requests) ? requests.length : 0;
    const name = `batches/${id}`;
    const metadata = {
      "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
      model: `models/${model}`,
      ...(typeof batch.displayName === "string" ? { displayName: batch.displayName } : {}),
      name,
      createTime: timestamp(now),
      updateTime: timestamp(now),
      batchStats: { requestCount: String(count), pendingRequestCount: String(count) },
      state: "BATCH_STATE_PENDING",
    };
    return { status: 200, body: this.#store(name, key, { name, metadata }, 7 * day) };
  }
}

/** `files/…` and `cachedContents/…` names a request body refers to (fileData.fileUri, cachedContent, batch input fileName). */
export function referencedNames(body: unknown, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(body)) for (const item of body) referencedNames(item, found);
  else if (body !== null && typeof body === "object") {
    for (const [field, value] of Object.entries(body)) {
      if (typeof value === "string") {
        const file = /(?:^|\/)(files\/[\w-]+)$/.exec(value);
        if ((field === "fileUri" || field === "fileName") && file?.[1]) found.add(file[1]);
        if (field === "cachedContent" && /^cachedContents\/[\w-]+$/.test(value)) found.add(value);
      } else referencedNames(value, found);
    }
  }
  return found;
}
