/**
 * Which requests the OpenAI-compatible surface answers. It sits in front of the Gemini native
 * catch-all, so it must claim only what is OpenAI's:
 *
 * - `POST …/v1/chat/completions`, `POST …/v1/completions` (legacy), `POST …/v1/embeddings`, `GET …/v1/models`, `GET …/v1/models/{id}`
 *   (any path prefix before `/v1`, as GPT-Load keeps its upstream's), and the same without `/v1`
 *   at the root;
 * - `…/v1beta/openai/*`: Gemini's own OpenAI-compatible endpoint, forwarded as is.
 *
 * `GET /v1/models` and `GET /v1/models/{id}` also exist in Gemini's native API (`@google/genai`
 * with `apiVersion: "v1"`). Gemini clients always send their key as `?key=` or
 * `x-goog-api-key` and the Google SDKs add `x-goog-api-client`; the openai SDKs send
 * `Authorization: Bearer` and none of those. So those two paths are OpenAI's unless the request
 * carries `?key=`, `x-goog-api-key` or `x-goog-api-client`.
 */
import { isOpenAiPath } from "../egress/target.ts";
import { decodedSegment, parseGeminiPath } from "../gemini/paths.ts";

/** An OpenAI-compatible route. */
export type OpenAiRoute =
  | { kind: "chat" }
  /** Legacy text completions. */
  | { kind: "completions" }
  | { kind: "embeddings" }
  | { kind: "models" }
  | { kind: "model"; id: string }
  /** `/v1beta/openai/*`: `path` from the version segment on, e.g. `/v1beta/openai/chat/completions`. */
  | { kind: "forward"; path: string };

const openAiPattern = /^(?:(?:\/[^/]+)*?\/v1)?\/(chat\/completions|completions|embeddings|models)(?:\/([^/:]+))?\/?$/;

/** True when the request looks like it comes from a Gemini native client (see the module comment). */
function speaksGemini(request: Request, url: URL): boolean {
  return url.searchParams.has("key") || request.headers.has("x-goog-api-key") || request.headers.has("x-goog-api-client");
}

/** The OpenAI route of a request, or null when the Gemini native handler should answer it. */
export function matchOpenAiRoute(request: Request, url: URL): OpenAiRoute | null {
  const gemini = parseGeminiPath(url.pathname);
  if (gemini !== null && isOpenAiPath(gemini.path)) return { kind: "forward", path: gemini.path };
  const match = openAiPattern.exec(url.pathname);
  if (!match) return null;
  // `/v1beta/models` and the like are Gemini paths that merely end the same way.
  if (gemini !== null && gemini.version !== "v1") return null;
  const [, resource, id] = match;
  const method = request.method;
  if (resource === "chat/completions") return id === undefined && method === "POST" ? { kind: "chat" } : null;
  if (resource === "completions") return id === undefined && method === "POST" ? { kind: "completions" } : null;
  if (resource === "embeddings") return id === undefined && method === "POST" ? { kind: "embeddings" } : null;
  if (method !== "GET" || speaksGemini(request, url)) return null;
  return id === undefined ? { kind: "models" } : { kind: "model", id: decodedSegment(id) };
}
