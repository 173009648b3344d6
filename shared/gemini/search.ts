/**
 * A client's web search tool (Responses `web_search`/`web_search_preview`, Anthropic's
 * `web_search_20250305` server tool) as Gemini's built-in `googleSearch` tool
 * (https://ai.google.dev/gemini-api/docs/google-search): Google runs the search inside the one
 * generate call and the answer comes back grounded, as plain text.
 */
import type { GenerateContentRequest } from "./types.ts";

/** True for a client tool `type` that asks for web search (versioned names included). */
export function isWebSearchTool(type: string | null | undefined): boolean {
  return typeof type === "string" && /^web_search(?:_|$)/.test(type);
}

/** True for a Gemini tool entry that declares functions. */
function declaresFunctions(tool: unknown): boolean {
  return typeof tool === "object" && tool !== null && "functionDeclarations" in tool;
}

/**
 * Adds `googleSearch` to `body.tools` where the model allows it: Gemini 2.x refuses built-in
 * tools beside function declarations ("Tool use with function calling is unsupported"), so a
 * request that also declares functions gets it only on Gemini 3 models. True when it was added.
 */
export function addGoogleSearch(body: GenerateContentRequest, model: string): boolean {
  const tools = body.tools ?? [];
  if (tools.some(declaresFunctions) && !/^(?:models\/)?gemini-3/.test(model)) return false;
  body.tools = [...tools, { googleSearch: {} }];
  return true;
}
