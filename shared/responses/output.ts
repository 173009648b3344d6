/**
 * The Response object (https://platform.openai.com/docs/api-reference/responses/object) and its
 * output items, as the whole answer and the stream's lifecycle events both carry them.
 */
import type { Part, UsageMetadata } from "../gemini/types.ts";
import { toolCallIdWithSignature } from "../openai/signature.ts";
import { openAiUsage } from "../openai/usage.ts";

/** Identity of one response. */
export interface ResponseMeta {
  /** `resp_…` */
  id: string;
  /** Unix seconds. */
  createdAt: number;
  /** The model as the client named it. */
  model: string;
}

/** A fresh identity. */
export function newResponseMeta(model: string, now: number): ResponseMeta {
  return { id: newItemId("resp"), createdAt: Math.floor(now / 1_000), model };
}

/** `msg_…`, `fc_…`, `rs_…` */
export function newItemId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replace(/-/g, "")}`;
}

export interface OutputText {
  type: "output_text";
  text: string;
  annotations: never[];
  logprobs: never[];
}
export interface MessageItem {
  type: "message";
  id: string;
  status: "in_progress" | "completed";
  role: "assistant";
  content: OutputText[];
}
export interface FunctionCallItem {
  type: "function_call";
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: "in_progress" | "completed";
}
export interface ReasoningItem {
  type: "reasoning";
  id: string;
  summary: { type: "summary_text"; text: string }[];
}
export type OutputItem = MessageItem | FunctionCallItem | ReasoningItem;

/** A function_call item for a functionCall part; its call id carries the thought signature (openai/signature.ts). */
export function functionCallItemOf(part: Part): FunctionCallItem | null {
  if (!part.functionCall) return null;
  return { type: "function_call", id: newItemId("fc"), call_id: toolCallIdWithSignature(part.thoughtSignature), name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}), status: "completed" };
}

/** Responses usage from Gemini's: the chat numbers under the Responses names. */
export function responsesUsage(usage: UsageMetadata | undefined): Record<string, unknown> {
  const chat = openAiUsage(usage);
  return {
    input_tokens: chat.prompt_tokens,
    input_tokens_details: { cached_tokens: chat.prompt_tokens_details.cached_tokens },
    output_tokens: chat.completion_tokens,
    output_tokens_details: { reasoning_tokens: chat.completion_tokens_details.reasoning_tokens },
    total_tokens: chat.total_tokens,
  };
}

/** How an answer ended, in Responses terms. */
export interface Ending {
  status: "in_progress" | "completed" | "incomplete" | "failed";
  incompleteReason?: "max_output_tokens" | "content_filter";
  error?: { code: string; message: string };
}

/** Gemini's finishReason (or a prompt block) as a Responses ending. */
export function endingOf(finishReason: string | undefined, promptBlocked: boolean): Ending {
  if (promptBlocked) return { status: "incomplete", incompleteReason: "content_filter" };
  if (finishReason === "MAX_TOKENS") return { status: "incomplete", incompleteReason: "max_output_tokens" };
  if (finishReason !== undefined && ["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE"].includes(finishReason)) {
    return { status: "incomplete", incompleteReason: "content_filter" };
  }
  return { status: "completed" };
}

/** The Response object. */
export function responseObject(meta: ResponseMeta, output: readonly OutputItem[], ending: Ending, usage: UsageMetadata | undefined): Record<string, unknown> {
  return {
    id: meta.id,
    object: "response",
    created_at: meta.createdAt,
    status: ending.status,
    model: meta.model,
    output,
    error: ending.error ?? null,
    incomplete_details: ending.incompleteReason ? { reason: ending.incompleteReason } : null,
    instructions: null,
    metadata: {},
    parallel_tool_calls: true,
    temperature: null,
    top_p: null,
    tool_choice: "auto",
    tools: [],
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    text: { format: { type: "text" } },
    truncation: "disabled",
    store: false,
    usage: ending.status === "in_progress" ? null : responsesUsage(usage),
  };
}

/** The output items of a whole answer: reasoning, then message text and calls in order. */
export function outputItemsOf(parts: readonly Part[]): OutputItem[] {
  const output: OutputItem[] = [];
  for (const part of parts) {
    const last = output.at(-1);
    const call = functionCallItemOf(part);
    if (call) output.push(call);
    else if (part.thought === true && part.text) {
      if (last?.type === "reasoning") last.summary[0]!.text += part.text;
      else output.push({ type: "reasoning", id: newItemId("rs"), summary: [{ type: "summary_text", text: part.text }] });
    } else if (part.text) {
      if (last?.type === "message") last.content[0]!.text += part.text;
      else output.push({ type: "message", id: newItemId("msg"), status: "completed", role: "assistant", content: [{ type: "output_text", text: part.text, annotations: [], logprobs: [] }] });
    }
  }
  return output;
}
