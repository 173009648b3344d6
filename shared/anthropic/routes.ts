/** The Anthropic surface as protocol routes (protocols/adapter.ts), every failure in Anthropic's error shape. */
import type { ProtocolRoute } from "../protocols/adapter.ts";
import { anthropicErrorResponse } from "./errors.ts";
import { handleCountTokens, handleMessages } from "./messages.ts";
import { handleModels } from "./models.ts";
import type { AnthropicRoute } from "./paths.ts";

/** The protocol route for a matched Anthropic path. */
export function anthropicRoute(route: AnthropicRoute): ProtocolRoute {
  const handlers = { messages: handleMessages, "count-tokens": handleCountTokens, models: handleModels };
  return { surface: "anthropic", errorResponse: anthropicErrorResponse, handle: handlers[route.kind] };
}
