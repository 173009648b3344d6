/** The assembled Gemini answer → an Anthropic `message` (https://docs.anthropic.com/en/api/messages). */
import type { GenerateContentResponse } from "../gemini/types.ts";
import { anthropicUsage, stopReasonOf, toolUseOf, type AnthropicUsage, type MessageMeta, type StopReason, type ToolUseBlock } from "./answer.ts";

/** A content block of an answer. */
export type AnswerBlock = { type: "thinking"; thinking: string; signature: string } | { type: "text"; text: string } | ToolUseBlock;

/** Anthropic's message object, as gemrelay fills it. */
export interface AnthropicMessageObject {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: AnswerBlock[];
  stop_reason: StopReason;
  stop_sequence: null;
  usage: AnthropicUsage;
}

/** Maps one whole answer (chunks already aggregated): thinking first, then text and tool_use in order. */
export function toAnthropicMessage(answer: GenerateContentResponse, meta: MessageMeta): AnthropicMessageObject {
  const candidate = answer.candidates?.[0];
  const content: AnswerBlock[] = [];
  let calledTools = false;
  for (const part of candidate?.content?.parts ?? []) {
    const last = content.at(-1);
    const call = toolUseOf(part);
    if (call) {
      calledTools = true;
      content.push(call);
    } else if (part.thought === true) {
      if (last?.type === "thinking") last.thinking += part.text ?? "";
      else content.push({ type: "thinking", thinking: part.text ?? "", signature: "" });
    } else if (part.text !== undefined) {
      // The signature on the first answer part closes the thinking before it (see request.ts for the way back).
      if (last?.type === "thinking" && part.thoughtSignature && last.signature === "") last.signature = part.thoughtSignature;
      if (part.text.length === 0) continue;
      if (last?.type === "text") last.text += part.text;
      else content.push({ type: "text", text: part.text });
    }
  }
  return {
    id: meta.id,
    type: "message",
    role: "assistant",
    model: meta.model,
    content,
    stop_reason: stopReasonOf(candidate?.finishReason, calledTools, answer.promptFeedback?.blockReason !== undefined),
    stop_sequence: null,
    usage: anthropicUsage(answer.usageMetadata),
  };
}
