/**
 * What Anthropic's whole answer and its stream share: the message identity, stop reasons,
 * usage and tool_use blocks built from Gemini's functionCall parts.
 */
import type { Part, UsageMetadata } from "../gemini/types.ts";
import { toolCallIdWithSignature } from "../openai/signature.ts";

/** Identity of one message, the same on the whole answer and every event of its stream. */
export interface MessageMeta {
  /** `msg_…` */
  id: string;
  /** The model name as the client sent it. */
  model: string;
}

/** A fresh identity. */
export function newMessageMeta(model: string): MessageMeta {
  return { id: `msg_${crypto.randomUUID().replace(/-/g, "")}`, model };
}

/** Anthropic's stop reasons. */
export type StopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "refusal" | "pause_turn";

/** Gemini finishReasons that mean the output was filtered: Anthropic's `refusal`. */
const refusals: ReadonlySet<string> = new Set(["SAFETY", "RECITATION", "LANGUAGE", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"]);

/** The stop reason for how an answer ended: tool_use when it called tools, refusal for a block or filter, max_tokens, else end_turn. */
export function stopReasonOf(finishReason: string | undefined, calledTools: boolean, promptBlocked: boolean): StopReason {
  if (promptBlocked || (finishReason !== undefined && refusals.has(finishReason))) return "refusal";
  if (finishReason === "MAX_TOKENS") return "max_tokens";
  return calledTools ? "tool_use" : "end_turn";
}

/** Anthropic's usage: input excludes cache reads (reported apart); output includes thinking. */
export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

/** The usage of an answer from its last (cumulative) usageMetadata. */
export function anthropicUsage(usage: UsageMetadata | undefined): AnthropicUsage {
  const cached = usage?.cachedContentTokenCount ?? 0;
  const toolPrompt = typeof usage?.toolUsePromptTokenCount === "number" ? usage.toolUsePromptTokenCount : 0;
  return {
    input_tokens: Math.max(0, (usage?.promptTokenCount ?? 0) + toolPrompt - cached),
    output_tokens: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: 0,
  };
}

/** A tool_use block. */
export interface ToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  input: Record<string, unknown>;
}

/**
 * The tool_use block of a functionCall part. Its id carries Gemini's thought signature
 * (openai/signature.ts): clients replay a tool_use block's id verbatim, so the signature comes
 * back on the call it belongs to and multi-turn tool use works on Gemini 3.
 */
export function toolUseOf(part: Part): ToolUseBlock | null {
  if (!part.functionCall) return null;
  return { type: "tool_use", id: toolCallIdWithSignature(part.thoughtSignature).replace(/^call_/, "toolu_"), name: part.functionCall.name, input: part.functionCall.args ?? {} };
}
