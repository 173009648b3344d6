/**
 * Gemini resources that belong to the Google project of the key that created them (files, cached
 * contents, batches, long-running operations, tuned models, file search stores), as they appear in
 * request paths, request bodies and create answers. Pure functions: affinity.ts decides what to do.
 */

/** Collections whose members are project-owned (`models/…` are global; their operations are not). */
const ownedCollections: ReadonlySet<string> = new Set(["files", "cachedContents", "batches", "operations", "tunedModels", "fileSearchStores", "corpora", "generatedFiles"]);

/** A resource id as Google mints them (and as a name the client may choose): letters, digits, `-`, `_`, `.`. */
const idPattern = /^[\w.-]{1,128}$/;

function isOwnedName(name: string): boolean {
  const segments = name.split("/");
  if (segments.length < 2 || segments.length % 2 !== 0 || !segments.every((segment, index) => (index % 2 === 0 ? /^[A-Za-z]+$/.test(segment) : idPattern.test(segment)))) return false;
  // `models/x/operations/y` is owned (by its operation), `models/x` is not.
  return segments.some((segment, index) => index % 2 === 0 && ownedCollections.has(segment));
}

/**
 * The project-owned resource a Gemini path (from the version segment on, e.g.
 * `/v1beta/files/abc`, `/v1beta/cachedContents/x:cancel`, `/v1beta/tunedModels/t/operations/o`)
 * names, or null. The owner of a nested resource (`fileSearchStores/s/documents/d`) is its
 * top-level parent, which is what creates record: the shortest owned prefix is returned.
 */
export function pathResource(path: string): string | null {
  const rest = path.replace(/^\/(?:upload\/)?(?:v1beta|v1alpha|v1)\//, "");
  if (rest === path) return null;
  const segments = rest.split(":", 1)[0]?.split("/") ?? [];
  for (let length = 2; length <= segments.length; length += 2) {
    const name = segments.slice(0, length).join("/");
    if (isOwnedName(name)) return name;
  }
  return null;
}

/** The collection a list request reads (`GET /v1beta/files`), when gemrelay merges it across keys. */
export type ListedCollection = "files" | "cachedContents" | "batches";

/** Each mergeable collection's field in Google's list answer. */
export const listFields: Readonly<Record<ListedCollection, string>> = { files: "files", cachedContents: "cachedContents", batches: "operations" };

/** The collection a `GET` of `path` lists, or null when it is not a list gemrelay merges. */
export function listedCollection(method: string, path: string): ListedCollection | null {
  if (method !== "GET") return null;
  const match = /^\/(?:v1beta|v1alpha|v1)\/(files|cachedContents|batches)$/.exec(path);
  return (match?.[1] as ListedCollection | undefined) ?? null;
}

/** Body fields that name a file or a cached content (Gemini native, batch inputs, the OpenAI-compatible spellings). */
const referenceFields = /"(?:fileUri|file_uri|fileName|file_name|cachedContent|cached_content|file_id|fileId)"\s*:\s*"([^"\\]{1,2048})"/g;

/**
 * Names of owned resources a JSON request body refers to: `fileData.fileUri` (a URL ending in
 * `files/{id}`, or the bare name), `cachedContent`, a batch's input `fileName`. Read from the text
 * so that a large body (inline images) is scanned once, not parsed again.
 */
export function bodyResources(body: ArrayBuffer): string[] {
  // Cheap guard first: most bodies name nothing.
  const text = new TextDecoder().decode(body);
  if (!text.includes("files/") && !text.includes("cachedContents/")) return [];
  const names = new Set<string>();
  for (const match of text.matchAll(referenceFields)) {
    const value = match[1] ?? "";
    const named = /(?:^|\/)((?:files|cachedContents)\/[\w.-]{1,128})$/.exec(value.replace(/[?#].*$/, ""));
    if (named?.[1]) names.add(named[1]);
  }
  return [...names];
}

/** Collections a `POST` creates a member of (uploads included). */
const createdCollection = /^\/(?:upload\/)?(?:v1beta|v1alpha|v1)\/(?:files|cachedContents|tunedModels|fileSearchStores|corpora)$/;

/** Model methods that answer a batch or a long-running operation. */
const operationMethods = /^\/(?:v1beta|v1alpha|v1)\/(?:models|tunedModels)\/[\w.-]+:(?:batchGenerateContent|asyncBatchEmbedContent|predictLongRunning)$/;

/**
 * Whether a successful answer to `method path` may name a resource gemrelay should record: a
 * create, an upload (its finalize), an update (a cache's new `expireTime`). Only these answers are
 * read whole; every other one streams through untouched.
 */
export function mayCreate(method: string, path: string): boolean {
  if (method === "PATCH") return pathResource(path) !== null;
  if (method !== "POST") return false;
  return createdCollection.test(path) || operationMethods.test(path) || path.startsWith("/upload/");
}

/** A created resource found in an answer: its name and, when the answer says, when it expires. */
export interface CreatedResource {
  name: string;
  /** Epoch ms from `expirationTime` (files) or `expireTime` (caches); null when the answer has none. */
  expiresAt: number | null;
}

function timeOf(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const at = Date.parse(value);
  return Number.isFinite(at) ? at : null;
}

/**
 * The owned resource a create answered with: `{file: {name}}` (uploads), `{name}` (a cached
 * content, a batch or operation, a tuned model's operation), or null when there is none.
 */
export function createdResource(answer: unknown): CreatedResource | null {
  if (answer === null || typeof answer !== "object") return null;
  const top = answer as Record<string, unknown>;
  const file = top.file;
  const resource = file !== null && typeof file === "object" ? (file as Record<string, unknown>) : top;
  const name = resource.name;
  if (typeof name !== "string" || !isOwnedName(name)) return null;
  return { name, expiresAt: timeOf(resource.expirationTime) ?? timeOf(resource.expireTime) };
}

/** Owned resources a create also makes known besides its answer's name (a tuned model behind its operation). */
export function createdAlongside(answer: unknown): string[] {
  if (answer === null || typeof answer !== "object") return [];
  const metadata = (answer as Record<string, unknown>).metadata;
  if (metadata === null || typeof metadata !== "object") return [];
  const tunedModel = (metadata as Record<string, unknown>).tunedModel;
  return typeof tunedModel === "string" && isOwnedName(tunedModel) ? [tunedModel] : [];
}
