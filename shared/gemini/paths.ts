/**
 * The one grammar of Gemini native paths, possibly behind a path prefix (GPT-Load keeps its
 * upstream's path). Every caller that needs the model of a request (native handler, usage, access
 * checks, budgets, the OpenAI surface) reads it from here, so that no spelling of a model path can
 * be read as "no model" by one layer while Google serves it as a model call: a path that names a
 * model either parses to that model or carries a `problem` and is refused before anything else.
 */

/** Why a Gemini path is refused: it names a model, but not in the one spelling gemrelay forwards. */
export interface PathProblem {
  status: 400 | 404;
  message: string;
}

/** A parsed Gemini native request path. */
export interface GeminiPath {
  /** Whatever stood before the version segment, e.g. `/proxy/gemini` (empty when none). */
  prefix: string;
  /** The path from the version segment on, e.g. `/v1beta/models/gemini-2.5-flash:generateContent`. */
  path: string;
  /** `v1beta`, `v1`, `v1alpha` or `upload`. */
  version: string;
  /** The model named in the path (`models/{model}` or `tunedModels/{model}`), a valid model id; null when none or refused. */
  model: string | null;
  /** The method after the colon, e.g. `streamGenerateContent`; null for plain resources. */
  action: string | null;
  /** Set when the path names a model in a spelling that is refused (then `model` and `action` are null). */
  problem: PathProblem | null;
}

/** Gemini's model ids: letters, digits, `.`, `_` and `-` (`gemini-2.5-flash`, a tuned model's id), never dots alone. */
const modelNamePattern = /^(?!\.+$)[\w.-]+$/;

/**
 * Why `name` cannot be a model id, or null when it can. A name that is not one could change the
 * upstream path it is put into (`..`, a decoded `/`) or carry control characters into log lines.
 */
export function modelNameProblem(name: string): string | null {
  if (modelNamePattern.test(name)) return null;
  // JSON quoting shows control characters escaped, so the message stays one line.
  return `Invalid model name ${JSON.stringify(name.slice(0, 100))}: Gemini model ids are made of letters, digits, '.', '_' and '-'.`;
}

/** True when `name` is a Gemini model id (see {@link modelNameProblem}); records keep only such names. */
export function isModelName(name: string): boolean {
  return modelNamePattern.test(name);
}

/** A percent-decoded path segment; the segment as it is when its encoding is malformed. */
export function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The methods Gemini serves on `models/{model}` and `tunedModels/{model}` (all POST), spelt exactly. */
export const modelMethods: ReadonlySet<string> = new Set([
  "generateContent",
  "streamGenerateContent",
  "countTokens",
  "embedContent",
  "batchEmbedContents",
  "batchGenerateContent",
  "asyncBatchEmbedContent",
  "generateAnswer",
  "predict",
  "predictLongRunning",
  "generateText",
  "countTextTokens",
  "embedText",
  "batchEmbedText",
  "generateMessage",
  "countMessageTokens",
  "transferOwnership",
]);

/** Sub-resources of a model (`tunedModels/{id}/permissions/{p}`, `…/operations/{o}:cancel`). */
const subResourcePattern = /^\/(?:permissions|operations)(?:\/[\w-]+(?::[A-Za-z]+)?)?$/;

const versionPattern = /^(.*?)(\/(v1beta|v1alpha|v1|upload)(?:\/.*)?)$/;
const apiVersions: ReadonlySet<string> = new Set(["v1beta", "v1alpha", "v1"]);
const modelCollections: ReadonlySet<string> = new Set(["models", "tunedModels"]);

const pathHelp = "Gemini model paths are /v1beta/models/{model}:{method}, without a trailing '/' or anything after the method.";

function refused(status: 400 | 404, message: string): PathProblem {
  return { status, message };
}

/** The model, action and problem of the path after the version segment (`/models/x:generateContent`). */
function parseResource(rest: string, upload: boolean): Pick<GeminiPath, "model" | "action" | "problem"> {
  const none = { model: null, action: null, problem: null };
  const first = /^\/([^/]*)/.exec(rest)?.[1] ?? "";
  // Whatever Google might read as the collection: decoded, any case, before a ':' or ';'.
  const collection = decodedSegment(first).split(/[:;]/, 1)[0] ?? "";
  if (collection.toLowerCase() !== "models" && collection.toLowerCase() !== "tunedmodels") return none;
  const fail = (status: 400 | 404, message: string) => ({ model: null, action: null, problem: refused(status, message) });
  if (upload) return fail(404, "Model methods are not served under /upload/; send them to /v1beta/models/{model}:{method}.");
  if (!modelCollections.has(first)) return fail(404, `Not found: '${first.slice(0, 40)}' is not a Gemini collection. ${pathHelp}`);
  const after = rest.slice(first.length + 1);
  if (after === "") return none; // the collection itself: GET /v1beta/models
  const named = /^\/([^/:]*)(.*)$/.exec(after);
  const rawModel = named?.[1] ?? "";
  const tail = named?.[2] ?? after;
  if (rawModel === "") return fail(400, `The request path names no model (an empty segment). ${pathHelp}`);
  const model = decodedSegment(rawModel);
  const problem = modelNameProblem(model);
  if (problem !== null) return fail(400, problem);
  if (tail === "") return { model, action: null, problem: null };
  if (tail.startsWith(":")) {
    const action = tail.slice(1);
    if (modelMethods.has(action)) return { model, action, problem: null };
    return fail(404, `Not found: ${JSON.stringify(action.slice(0, 60))} is not a Gemini model method. ${pathHelp}`);
  }
  if (subResourcePattern.test(tail)) return { model, action: null, problem: null };
  return fail(404, `Not found: the path goes on after the model. ${pathHelp}`);
}

/** Parses a URL pathname; null when it is not a Gemini API path. */
export function parseGeminiPath(pathname: string): GeminiPath | null {
  const match = versionPattern.exec(pathname);
  if (!match) return null;
  const [, prefix = "", path = "", version = ""] = match;
  // `//` or a trailing `/`: a front end that collapses them would read another path than ours.
  if (/\/\/|.\/$/.test(path)) return { prefix, path, version, model: null, action: null, problem: refused(400, `The request path has an empty segment ('//' or a trailing '/'). ${pathHelp}`) };
  let rest = path.slice(version.length + 1);
  const upload = version === "upload";
  if (upload) {
    // `/upload/v1beta/files`: the API version follows.
    const inner = /^\/([^/]*)/.exec(rest)?.[1] ?? "";
    if (apiVersions.has(inner)) rest = rest.slice(inner.length + 1);
  }
  return { prefix, path, version, ...parseResource(rest, upload) };
}

/** `route`'s path with its model replaced by `target` (an alias resolved on a non-generate path). */
export function withModel(route: GeminiPath, target: string): string {
  if (route.model === null || route.model === target) return route.path;
  return route.path.replace(/^(\/[^/]+\/(?:models|tunedModels)\/)[^/:]+/, (_match, head: string) => `${head}${encodeURIComponent(target)}`);
}
