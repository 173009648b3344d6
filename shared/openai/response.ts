/**
 * The assembled Gemini answer → a `chat.completion` object
 * (https://platform.openai.com/docs/api-reference/chat/object).
 */
import type { GenerateContentResponse } from "../gemini/types.ts";
import { thinkClose, thinkOpen, toolCallOf, type CompletionMeta, type OpenAiToolCall } from "./completion.ts";
import { openAiFinishReason, type OpenAiFinishReason } from "./finish.ts";
import { openAiUsage, type OpenAiUsage } from "./usage.ts";

/** OpenAI's chat completion, as gemrelay fills it. */
export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  system_fingerprint: null;
  choices: {
    index: number;
    message: {
      role: "assistant";
      content: string | null;
      refusal: null;
      reasoning_content?: string;
      tool_calls?: OpenAiToolCall[];
    };
    logprobs: null;
    finish_reason: OpenAiFinishReason;
    native_finish_reason: string | null;
  }[];
  usage: OpenAiUsage;
}

/** Maps one whole answer (chunks already aggregated). */
export function toChatCompletion(answer: GenerateContentResponse, meta: CompletionMeta): ChatCompletion {
  const candidate = answer.candidates?.[0];
  let thoughts = "";
  let text = "";
  const toolCalls: OpenAiToolCall[] = [];
  for (const part of candidate?.content?.parts ?? []) {
    const call = toolCallOf(part);
    if (call) toolCalls.push(call);
    else if (part.thought === true) thoughts += part.text ?? "";
    else text += part.text ?? "";
  }
  const blocked = answer.promptFeedback?.blockReason;
  const content = meta.thinkTags && thoughts.length > 0 ? `${thinkOpen}${thoughts}${thinkClose}${text}` : text;
  const message: ChatCompletion["choices"][number]["message"] = {
    role: "assistant",
    // OpenAI sends null content beside tool calls when the model said nothing else.
    content: content.length === 0 && toolCalls.length > 0 ? null : content,
    refusal: null,
  };
  if (thoughts.length > 0) message.reasoning_content = thoughts;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: openAiFinishReason(candidate?.finishReason, toolCalls.length > 0, blocked !== undefined),
        native_finish_reason: candidate?.finishReason ?? blocked ?? null,
      },
    ],
    usage: openAiUsage(answer.usageMetadata),
  };
}
