/**
 * A Responses request → a chat completion request → the Gemini generate request. The Responses
 * API says the same things as chat completions in other words (items for messages, call ids for
 * tool call ids), so it is rewritten into a chat request and mapped by the chat adapter's one
 * mapping (openai/request.ts): images, tools, JSON schema output and thinking work the same.
 */
import { addGoogleSearch, isWebSearchTool } from "../gemini/search.ts";
import { OpenAiRequestError, requestErrorFromZod } from "../openai/errors.ts";
import { toGenerateRequest, type ImageFetching, type MappedChatRequest } from "../openai/request.ts";
import { chatRequestSchema, type ChatRequest } from "../openai/schema.ts";
import type { OpenAiConfig } from "../openai/config.ts";
import type { InputItem, ResponsesContentPart, ResponsesRequest } from "./schema.ts";

/** A chat content part for a Responses content part. */
function chatPart(part: ResponsesContentPart, param: string): Record<string, unknown> {
  switch (part.type) {
    case "input_text":
    case "output_text":
      return { type: "text", text: part.text };
    case "refusal":
      return { type: "refusal", refusal: part.refusal };
    case "input_image":
      if (!part.image_url) throw new OpenAiRequestError(`'${param}.image_url' is required: uploaded file ids are not supported by gemrelay.`, `${param}.image_url`, "unsupported_value");
      return { type: "image_url", image_url: { url: part.image_url } };
    case "input_file":
      return { type: "file", file: { file_data: part.file_data ?? null, file_id: part.file_id ?? null } };
  }
}

function chatContent(content: string | readonly ResponsesContentPart[], param: string): string | Record<string, unknown>[] {
  return typeof content === "string" ? content : content.map((part, index) => chatPart(part, `${param}[${index}]`));
}

/** The chat messages for the input items (reasoning items carry nothing Gemini takes back). */
function chatMessages(request: ResponsesRequest): Record<string, unknown>[] {
  const messages: Record<string, unknown>[] = [];
  if (request.instructions) messages.push({ role: "system", content: request.instructions });
  const items: readonly InputItem[] = typeof request.input === "string" ? [{ role: "user", content: request.input }] : request.input;
  for (const [index, item] of items.entries()) {
    const param = `input[${index}]`;
    if ("role" in item && (item.type === undefined || item.type === "message")) {
      messages.push({ role: item.role, content: chatContent(item.content, `${param}.content`) });
    } else if (item.type === "function_call") {
      const call = { id: item.call_id, type: "function", function: { name: item.name, arguments: item.arguments } };
      const previous = messages.at(-1);
      // Parallel calls arrive as consecutive items: one assistant message, as chat has them.
      if (previous?.role === "assistant" && Array.isArray(previous.tool_calls)) previous.tool_calls.push(call);
      else messages.push({ role: "assistant", content: null, tool_calls: [call] });
    } else if (item.type === "function_call_output") {
      const output = typeof item.output === "string" ? item.output : item.output.map((part) => ("text" in part ? part.text : "")).join("");
      messages.push({ role: "tool", tool_call_id: item.call_id, content: output });
    }
  }
  return messages;
}

/** The request as a chat completion request. */
function chatRequestOf(request: ResponsesRequest): ChatRequest {
  const chat: Record<string, unknown> = { model: request.model, messages: chatMessages(request), stream: request.stream === true };
  const tools = (request.tools ?? []).filter((tool) => tool.type === "function" && tool.name);
  if (tools.length > 0) chat.tools = tools.map((tool) => ({ type: "function", function: { name: tool.name, description: tool.description ?? null, parameters: tool.parameters ?? null } }));
  const choice = request.tool_choice;
  if (choice) chat.tool_choice = typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } };
  const format = request.text?.format;
  if (format?.type === "json_object") chat.response_format = { type: "json_object" };
  if (format?.type === "json_schema") chat.response_format = { type: "json_schema", json_schema: { name: format.name, schema: format.schema } };
  if (request.reasoning?.effort) chat.reasoning_effort = request.reasoning.effort;
  if (request.max_output_tokens) chat.max_completion_tokens = request.max_output_tokens;
  if (request.temperature !== null && request.temperature !== undefined) chat.temperature = request.temperature;
  if (request.top_p !== null && request.top_p !== undefined) chat.top_p = request.top_p;
  const parsed = chatRequestSchema.safeParse(chat);
  if (!parsed.success) throw requestErrorFromZod(parsed.error);
  return parsed.data;
}

/** Maps a validated Responses request; refuses what gemrelay does not keep (stored responses). */
export async function toResponsesGenerateRequest(request: ResponsesRequest, config: OpenAiConfig, images: ImageFetching): Promise<MappedChatRequest> {
  if (request.previous_response_id) {
    throw new OpenAiRequestError(
      "'previous_response_id' is not supported: gemrelay does not store responses. Send the whole conversation in 'input' (as Codex does).",
      "previous_response_id",
      "unsupported_value",
    );
  }
  const mapped = await toGenerateRequest(chatRequestOf(request), config, images);
  if ((request.tools ?? []).some((tool) => isWebSearchTool(tool.type))) addGoogleSearch(mapped.body, mapped.model);
  return mapped;
}
