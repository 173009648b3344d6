/**
 * OpenAI messages → Gemini `systemInstruction` and `contents` (REFERENCE.md §7): system and
 * developer messages join the system instruction; assistant turns become `model` turns with
 * their tool calls as `functionCall` parts (thought signatures restored); tool results become
 * `functionResponse` parts named after the call they answer; consecutive turns of one role are
 * merged, so parallel tool results form one `user` turn as Gemini expects.
 */
import type { Content, Part } from "../gemini/types.ts";
import { partsOfContent, textOfContent, type MediaOptions } from "./content.ts";
import { OpenAiRequestError } from "./errors.ts";
import type { Message, ToolCall } from "./schema.ts";
import { signatureFromToolCallId } from "./signature.ts";

/** The conversation in Gemini's terms. */
export interface Conversation {
  systemInstruction?: Content;
  contents: Content[];
}

/** A tool call's arguments (a JSON string) as the object Gemini wants. */
function argumentsOf(text: string, param: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new OpenAiRequestError(`'${param}' is not valid JSON.`, param, "invalid_value");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new OpenAiRequestError(`'${param}' must be a JSON object.`, param, "invalid_value");
  }
  return value as Record<string, unknown>;
}

/** A replayed tool call as a functionCall part, with the signature it carried (extra_content first, then the id). */
function functionCallPart(call: ToolCall, param: string): Part {
  const part: Part = { functionCall: { name: call.function.name, args: argumentsOf(call.function.arguments, `${param}.function.arguments`) } };
  const signature = call.extra_content?.google?.thought_signature ?? signatureFromToolCallId(call.id);
  if (signature) part.thoughtSignature = signature;
  return part;
}

/** A tool's output as Gemini's `response` object: a JSON object as it is, anything else under `result`. */
export function functionResponseOf(output: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(output);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Plain text output: wrapped below.
  }
  return { result: output };
}

/** Appends a turn, merging it into the previous one of the same role. */
export function pushTurn(contents: Content[], role: "user" | "model", parts: Part[]): void {
  if (parts.length === 0) return;
  const previous = contents.at(-1);
  if (previous?.role === role) previous.parts.push(...parts);
  else contents.push({ role, parts });
}

/** Maps the messages; `media` governs images and other inline data. */
export function toConversation(messages: readonly Message[], media: MediaOptions): Conversation {
  const system: Part[] = [];
  const contents: Content[] = [];
  const callNames = new Map<string, string>();

  for (const [index, message] of messages.entries()) {
    const param = `messages[${index}]`;
    switch (message.role) {
      case "system":
      case "developer": {
        const text = textOfContent(message.content, `${param}.content`);
        if (text.length > 0) system.push({ text });
        break;
      }
      case "user":
        pushTurn(contents, "user", partsOfContent(message.content, `${param}.content`, media));
        break;
      case "assistant": {
        const parts: Part[] = [];
        const text = textOfContent(message.content, `${param}.content`);
        if (text.length > 0) parts.push({ text });
        for (const [callIndex, call] of (message.tool_calls ?? []).entries()) {
          callNames.set(call.id, call.function.name);
          parts.push(functionCallPart(call, `${param}.tool_calls[${callIndex}]`));
        }
        if (message.function_call) {
          parts.push({ functionCall: { name: message.function_call.name, args: argumentsOf(message.function_call.arguments, `${param}.function_call.arguments`) } });
        }
        pushTurn(contents, "model", parts);
        break;
      }
      case "tool": {
        const name = callNames.get(message.tool_call_id);
        if (name === undefined) {
          throw new OpenAiRequestError(
            `'${param}.tool_call_id' (${JSON.stringify(message.tool_call_id)}) does not match a tool call of an earlier assistant message.`,
            `${param}.tool_call_id`,
            "invalid_value",
          );
        }
        const output = textOfContent(message.content, `${param}.content`);
        pushTurn(contents, "user", [{ functionResponse: { name, response: functionResponseOf(output) } }]);
        break;
      }
      case "function":
        pushTurn(contents, "user", [{ functionResponse: { name: message.name, response: functionResponseOf(message.content ?? "") } }]);
        break;
    }
  }

  if (contents.length === 0) {
    // Gemini needs at least one turn; OpenAI accepts a conversation of system messages alone.
    if (system.length === 0) throw new OpenAiRequestError("'messages' holds no content to answer.", "messages", "invalid_value");
    return { contents: [{ role: "user", parts: system }] };
  }
  return system.length > 0 ? { systemInstruction: { parts: system }, contents } : { contents };
}
