/**
 * Paths of the OpenAI and Anthropic APIs that gemrelay does not serve (`/v1/complete`,
 * `/v1/audio/…`, `/v1/assistants`, …): answered 404 in the caller's protocol, never forwarded to
 * Google with a pool key (DESIGN.md "Resume worker surface"). Gemini's own collections under
 * `/v1/` (models, files, cachedContents, batches, …) are not among these names.
 */
import { anthropicErrorResponse } from "../anthropic/errors.ts";
import { speaksAnthropic } from "../anthropic/paths.ts";
import { GemrelayError } from "../errors.ts";
import { openAiErrorResponse } from "../openai/errors.ts";
import type { ProtocolRoute } from "./adapter.ts";

/** First path segments after `/v1` that are OpenAI's or Anthropic's and never Gemini's. */
const foreignResources: ReadonlySet<string> = new Set([
  "chat",
  // `POST /v1/completions` is served (completions/); its other methods and sub-paths stay here.
  "completions",
  "complete",
  "messages",
  "responses",
  "embeddings",
  "audio",
  "images",
  "moderations",
  "assistants",
  "threads",
  "vector_stores",
  "fine_tuning",
  "fine-tunes",
  "realtime",
  "uploads",
  "conversations",
  "containers",
  "evals",
  "organizations",
  "organization",
  "skills",
]);

const foreignPattern = /^(?:(?:\/[^/]+)*?\/v1)?\/([^/]+)(?:\/.*)?$/;

/** The caller's protocol error writer: Anthropic's for Anthropic clients, OpenAI's otherwise. */
export function callerErrorResponse(request: Request): (error: GemrelayError) => Response {
  return speaksAnthropic(request) || request.headers.has("x-api-key") ? anthropicErrorResponse : openAiErrorResponse;
}

/** The 404 route for a foreign path, or null when the path is not one. */
export function foreignRoute(request: Request, url: URL): ProtocolRoute | null {
  const match = foreignPattern.exec(url.pathname);
  const resource = match?.[1];
  if (resource === undefined || !foreignResources.has(resource)) return null;
  const refusal = new GemrelayError(`gemrelay does not serve ${request.method} ${url.pathname}. See the README for the OpenAI, Anthropic and Gemini endpoints it answers.`, 404);
  const errorResponse = callerErrorResponse(request);
  return { surface: "foreign", errorResponse, refusal, handle: () => Promise.reject(refusal) };
}
