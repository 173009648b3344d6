/**
 * Generate events → OpenAI's streamed `chat.completion.chunk`s (REFERENCE.md §7): a first delta
 * with the role, then content, `reasoning_content` and tool call deltas (each call whole, with
 * its id and `index`), exactly one finish chunk, the usage chunk with `choices: []` only when
 * `stream_options.include_usage` asked for it, and `data: [DONE]`. Heartbeats become SSE
 * comments, which the openai SDK skips (REFERENCE.md §6).
 *
 * A failure after the stream began (the resume engine gave up, or the answer ended with no
 * finishReason) becomes `data: {"error": {…}}` followed by `[DONE]`: the openai SDK throws an
 * APIError on a data event carrying `error` (node_modules/openai/core/streaming.js), so the
 * client sees an error, never a silently short answer.
 */
import type { GemrelayError } from "../errors.ts";
import type { GenerateContentResponse, UsageMetadata } from "../gemini/types.ts";
import type { GenerateEvent } from "../resume/generate.ts";
import { truncatedAnswerError } from "../protocols/generate.ts";
import { thinkClose, thinkOpen, toolCallOf, type CompletionMeta, type OpenAiToolCall } from "./completion.ts";
import { openAiError } from "./errors.ts";
import { openAiFinishReason } from "./finish.ts";
import { openAiUsage } from "./usage.ts";

const encoder = new TextEncoder();

/** What a delta may carry. */
interface Delta {
  role?: "assistant";
  content?: string;
  reasoning_content?: string;
  tool_calls?: (OpenAiToolCall & { index: number })[];
}

/** One OpenAI SSE data event (chat and legacy completion streams alike). */
export function event(data: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
}

/** The terminal `data: [DONE]`. */
export const done = encoder.encode("data: [DONE]\n\n");

/** An SSE comment, LF-framed like OpenAI's events (the native heartbeat is CRLF-framed like Google's). */
export const heartbeat = encoder.encode(": keep-alive\n\n");

/** A failure after the stream began, in-band: the error event the openai SDK raises, then `[DONE]`. */
export function failureEvents(error: GemrelayError): Uint8Array[] {
  return [event({ error: openAiError(error).body }), done];
}

/** Streams one completion; `meta` is its identity, `includeUsage` adds the usage chunk. A transformer (streams.ts). */
export function chatChunkEncoder(meta: CompletionMeta, includeUsage: boolean): Transformer<GenerateEvent, Uint8Array> {
  let toolIndex = 0;
  let thinking = false;
  let finishReason: string | undefined;
  let blocked: string | undefined;
  let usage: UsageMetadata | undefined;
  let ended = false;

  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: meta.model,
    system_fingerprint: null,
    choices,
    ...(includeUsage ? { usage: null } : {}),
    ...extra,
  });
  const delta = (value: Delta) => event(chunk([{ index: 0, delta: value, logprobs: null, finish_reason: null }]));
  // The thought block in `content` closes before the first answer text or tool call.
  const closeThinking = (): string => {
    if (!thinking) return "";
    thinking = false;
    return thinkClose;
  };

  const answerChunk = (response: GenerateContentResponse, controller: TransformStreamDefaultController<Uint8Array>) => {
    if (response.usageMetadata) usage = response.usageMetadata;
    if (response.promptFeedback?.blockReason) blocked = response.promptFeedback.blockReason;
    const candidate = response.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      const call = toolCallOf(part);
      if (call) {
        const closing = closeThinking();
        if (closing) controller.enqueue(delta({ content: closing }));
        controller.enqueue(delta({ tool_calls: [{ index: toolIndex++, ...call }] }));
      } else if (part.text && part.thought === true) {
        const value: Delta = { reasoning_content: part.text };
        if (meta.thinkTags) {
          value.content = (thinking ? "" : thinkOpen) + part.text;
          thinking = true;
        }
        controller.enqueue(delta(value));
      } else if (part.text) {
        controller.enqueue(delta({ content: closeThinking() + part.text }));
      }
    }
    finishReason ??= candidate?.finishReason;
  };

  const fail = (error: GemrelayError, controller: TransformStreamDefaultController<Uint8Array>) => {
    for (const bytes of failureEvents(error)) controller.enqueue(bytes);
    ended = true;
  };

  return {
    start(controller) {
      controller.enqueue(delta({ role: "assistant", content: "" }));
    },
    transform(item, controller) {
      if (ended) return;
      if (item.kind === "heartbeat") controller.enqueue(heartbeat);
      else if (item.kind === "error") fail(item.error, controller);
      else answerChunk(item.response, controller);
    },
    flush(controller) {
      if (ended) return;
      if (finishReason === undefined && blocked === undefined) {
        fail(truncatedAnswerError(), controller);
        return;
      }
      const closing = closeThinking();
      if (closing) controller.enqueue(delta({ content: closing }));
      const reason = openAiFinishReason(finishReason, toolIndex > 0, blocked !== undefined);
      controller.enqueue(event(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: reason, native_finish_reason: finishReason ?? blocked ?? null }])));
      if (includeUsage) controller.enqueue(event(chunk([], { usage: openAiUsage(usage) })));
      controller.enqueue(done);
    },
  };
}
