/**
 * Which client protocol answers a request (DESIGN.md "One engine, many front doors"), in the
 * order that keeps each to what is its own: Anthropic (its paths, and `GET /v1/models` with
 * `anthropic-version`), OpenAI chat and friends, OpenAI Responses, then the 404 for paths of
 * those APIs that gemrelay does not serve. Null leaves the request to the Gemini native handler.
 */
import { matchAnthropicRoute } from "../anthropic/paths.ts";
import { anthropicRoute } from "../anthropic/routes.ts";
import { matchOpenAiRoute } from "../openai/paths.ts";
import { openAiRoute } from "../openai/routes.ts";
import { matchResponsesRoute } from "../responses/paths.ts";
import { responsesRoute } from "../responses/routes.ts";
import type { ProtocolRoute } from "./adapter.ts";
import { foreignRoute } from "./foreign.ts";

/** The protocol route of a request, or null for the Gemini native handler. */
export function protocolRouteOf(request: Request, url: URL): ProtocolRoute | null {
  const anthropic = matchAnthropicRoute(request, url);
  if (anthropic !== null) return anthropicRoute(anthropic);
  const openAi = matchOpenAiRoute(request, url);
  if (openAi !== null) return openAiRoute(openAi);
  const responses = matchResponsesRoute(request, url);
  if (responses !== null) return responsesRoute(responses);
  return foreignRoute(request, url);
}
