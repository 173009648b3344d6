/** The Anthropic surface as protocol routes (protocols/adapter.ts), every failure in Anthropic's error shape. */
import type { ProtocolRoute } from "../protocols/adapter.ts";
import { anthropicErrorResponse } from "./errors.ts";
import { handleCountTokens, handleMessages } from "./messages.ts";
import { handleModel, handleModels } from "./models.ts";
import type { AnthropicRoute } from "./paths.ts";

/** The protocol route for a matched Anthropic path. */
export function anthropicRoute(route: AnthropicRoute): ProtocolRoute {
  const base = { surface: "anthropic", errorResponse: anthropicErrorResponse };
  switch (route.kind) {
    case "messages":
      return { ...base, handle: handleMessages };
    case "count-tokens":
      return { ...base, handle: handleCountTokens };
    case "models":
      return { ...base, handle: handleModels };
    case "model":
      return { ...base, handle: (input) => handleModel(input, route.id) };
  }
}
