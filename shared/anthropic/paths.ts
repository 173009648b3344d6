/**
 * Which requests the Anthropic surface answers: `POST …/v1/messages` and
 * `POST …/v1/messages/count_tokens` (any path prefix before `/v1`, and without `/v1` at the
 * root), and `GET …/v1/models` and `GET …/v1/models/{id}` when the request carries
 * `anthropic-version` (Anthropic's SDK
 * always sends it; OpenAI and Gemini clients never do).
 */

import { decodedSegment } from "../gemini/paths.ts";

/** An Anthropic route. */
export type AnthropicRoute = { kind: "messages" } | { kind: "count-tokens" } | { kind: "models" } | { kind: "model"; id: string };

const messagesPattern = /^(?:(?:\/[^/]+)*?\/v1)?\/messages(\/count_tokens)?\/?$/;
const modelsPattern = /^(?:(?:\/[^/]+)*?\/v1)?\/models(?:\/([^/:]+))?\/?$/;

/** True when the request names Anthropic's API version: it comes from an Anthropic client. */
export function speaksAnthropic(request: Request): boolean {
  return request.headers.has("anthropic-version");
}

/** The Anthropic route of a request, or null. */
export function matchAnthropicRoute(request: Request, url: URL): AnthropicRoute | null {
  const messages = messagesPattern.exec(url.pathname);
  if (messages && request.method === "POST") return messages[1] ? { kind: "count-tokens" } : { kind: "messages" };
  const models = request.method === "GET" && speaksAnthropic(request) ? modelsPattern.exec(url.pathname) : null;
  if (!models) return null;
  const id = models[1];
  return id === undefined ? { kind: "models" } : { kind: "model", id: decodedSegment(id) };
}
