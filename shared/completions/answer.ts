/**
 * Generate events → legacy `text_completion` objects
 * (https://platform.openai.com/docs/api-reference/completions/object): the whole answer, or a
 * stream of `text_completion` chunks with the text, one final chunk with `finish_reason`, the
 * usage chunk when `stream_options.include_usage` asked for it, and `data: [DONE]`. Thoughts are
 * never part of a completion's text. Failures after the stream began are written in-band as on
 * the chat stream (`data: {"error": …}` then `[DONE]`), which the openai SDK raises.
 */
import type { GemrelayError } from "../errors.ts";
import type { Candidate, GenerateContentResponse, UsageMetadata } from "../gemini/types.ts";
import { openAiFinishReason, type OpenAiFinishReason } from "../openai/finish.ts";
import { done, event, failureEvents, heartbeat } from "../openai/stream.ts";
import { openAiUsage, type OpenAiUsage } from "../openai/usage.ts";
import { truncatedAnswerError } from "../protocols/generate.ts";
import type { GenerateEvent } from "../resume/generate.ts";

/** Identity of one completion, the same on every chunk. */
export interface TextCompletionMeta {
  /** `cmpl-…` */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model as the client named it. */
  model: string;
}

/** A fresh identity. */
export function newTextCompletionMeta(model: string, now: number): TextCompletionMeta {
  return { id: `cmpl-${crypto.randomUUID().replace(/-/g, "")}`, created: Math.floor(now / 1_000), model };
}

/** One `text_completion` object (whole, or a stream chunk). */
export interface TextCompletion {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: { text: string; index: number; logprobs: null; finish_reason: OpenAiFinishReason | null }[];
  usage?: OpenAiUsage;
}

function completion(meta: TextCompletionMeta, choices: TextCompletion["choices"], usage?: OpenAiUsage): TextCompletion {
  return { id: meta.id, object: "text_completion", created: meta.created, model: meta.model, choices, ...(usage ? { usage } : {}) };
}

/** The answer text of a candidate's parts, thoughts left out. */
function textOf(candidate: Candidate | undefined): string {
  return (candidate?.content?.parts ?? []).map((part) => (part.thought === true ? "" : (part.text ?? ""))).join("");
}

/** The whole answer (chunks already aggregated). */
export function toTextCompletion(answer: GenerateContentResponse, meta: TextCompletionMeta): TextCompletion {
  const candidate = answer.candidates?.[0];
  const reason = openAiFinishReason(candidate?.finishReason, false, answer.promptFeedback?.blockReason !== undefined);
  return completion(meta, [{ text: textOf(candidate), index: 0, logprobs: null, finish_reason: reason }], openAiUsage(answer.usageMetadata));
}

/** Streams one completion as `text_completion` chunks. A transformer (streams.ts). */
export function textCompletionEncoder(meta: TextCompletionMeta, includeUsage: boolean): Transformer<GenerateEvent, Uint8Array> {
  let finishReason: string | undefined;
  let blocked: string | undefined;
  let usage: UsageMetadata | undefined;
  let ended = false;
  const fail = (error: GemrelayError, controller: TransformStreamDefaultController<Uint8Array>) => {
    for (const bytes of failureEvents(error)) controller.enqueue(bytes);
    ended = true;
  };
  const answerChunk = (response: GenerateContentResponse, controller: TransformStreamDefaultController<Uint8Array>) => {
    if (response.usageMetadata) usage = response.usageMetadata;
    if (response.promptFeedback?.blockReason) blocked = response.promptFeedback.blockReason;
    const candidate = response.candidates?.[0];
    const text = textOf(candidate);
    if (text.length > 0) controller.enqueue(event(completion(meta, [{ text, index: 0, logprobs: null, finish_reason: null }])));
    finishReason ??= candidate?.finishReason;
  };
  return {
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
      const reason = openAiFinishReason(finishReason, false, blocked !== undefined);
      controller.enqueue(event(completion(meta, [{ text: "", index: 0, logprobs: null, finish_reason: reason }])));
      if (includeUsage) controller.enqueue(event(completion(meta, [], openAiUsage(usage))));
      controller.enqueue(done);
    },
  };
}
