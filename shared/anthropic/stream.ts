/**
 * Generate events → Anthropic's message stream, event for event as Anthropic sends it
 * (https://docs.anthropic.com/en/docs/build-with-claude/streaming): `message_start`, then per
 * content block `content_block_start`, its deltas (`thinking_delta` and `signature_delta`,
 * `text_delta`, `input_json_delta`) and `content_block_stop`, then `message_delta` with the stop
 * reason and usage, and `message_stop`. Heartbeats are `ping` events. A failure after the stream
 * began is an `error` event, on which the Anthropic SDK throws: never a clean short answer.
 */
import type { GemrelayError } from "../errors.ts";
import type { GenerateContentResponse, Part, UsageMetadata } from "../gemini/types.ts";
import { truncatedAnswerError } from "../protocols/generate.ts";
import type { GenerateEvent } from "../resume/generate.ts";
import { anthropicUsage, stopReasonOf, toolUseOf, type MessageMeta } from "./answer.ts";
import { anthropicErrorJson } from "./errors.ts";

const encoder = new TextEncoder();

/** One named SSE event. */
function event(type: string, data: Record<string, unknown>): Uint8Array {
  return encoder.encode(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
}

/** Streams one message with identity `meta`. A transformer (streams.ts). */
export function messageEventEncoder(meta: MessageMeta): Transformer<GenerateEvent, Uint8Array> {
  let started = false;
  let open: "thinking" | "text" | null = null;
  let index = 0;
  let calledTools = false;
  let finishReason: string | undefined;
  let blocked = false;
  let usage: UsageMetadata | undefined;
  let ended = false;

  type Controller = TransformStreamDefaultController<Uint8Array>;
  const start = (controller: Controller) => {
    if (started) return;
    started = true;
    const { input_tokens, cache_read_input_tokens, cache_creation_input_tokens } = anthropicUsage(usage);
    const message = { id: meta.id, type: "message", role: "assistant", model: meta.model, content: [], stop_reason: null, stop_sequence: null };
    controller.enqueue(event("message_start", { message: { ...message, usage: { input_tokens, output_tokens: 0, cache_read_input_tokens, cache_creation_input_tokens } } }));
  };
  const close = (controller: Controller) => {
    if (open === null) return;
    controller.enqueue(event("content_block_stop", { index }));
    index += 1;
    open = null;
  };
  const openBlock = (controller: Controller, kind: "thinking" | "text") => {
    if (open === kind) return;
    close(controller);
    const block = kind === "thinking" ? { type: "thinking", thinking: "", signature: "" } : { type: "text", text: "" };
    controller.enqueue(event("content_block_start", { index, content_block: block }));
    open = kind;
  };
  const part = (item: Part, controller: Controller) => {
    const call = toolUseOf(item);
    if (call) {
      close(controller);
      calledTools = true;
      controller.enqueue(event("content_block_start", { index, content_block: { ...call, input: {} } }));
      controller.enqueue(event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: JSON.stringify(call.input) } }));
      controller.enqueue(event("content_block_stop", { index }));
      index += 1;
    } else if (item.thought === true && item.text) {
      openBlock(controller, "thinking");
      controller.enqueue(event("content_block_delta", { index, delta: { type: "thinking_delta", thinking: item.text } }));
    } else if (item.text !== undefined && item.thought !== true) {
      // The signature on the first answer part closes the thinking before it (see request.ts for the way back).
      if (open === "thinking" && item.thoughtSignature) controller.enqueue(event("content_block_delta", { index, delta: { type: "signature_delta", signature: item.thoughtSignature } }));
      if (item.text.length === 0) return;
      openBlock(controller, "text");
      controller.enqueue(event("content_block_delta", { index, delta: { type: "text_delta", text: item.text } }));
    }
  };
  const chunk = (response: GenerateContentResponse, controller: Controller) => {
    if (response.usageMetadata) usage = response.usageMetadata;
    if (response.promptFeedback?.blockReason) blocked = true;
    start(controller);
    const candidate = response.candidates?.[0];
    for (const item of candidate?.content?.parts ?? []) part(item, controller);
    finishReason ??= candidate?.finishReason;
  };
  const fail = (error: GemrelayError, controller: Controller) => {
    start(controller);
    controller.enqueue(encoder.encode(`event: error\ndata: ${anthropicErrorJson(error)}\n\n`));
    ended = true;
  };

  return {
    transform(item, controller) {
      if (ended) return;
      if (item.kind === "chunk") chunk(item.response, controller);
      else if (item.kind === "error") fail(item.error, controller);
      else {
        start(controller);
        controller.enqueue(event("ping", {}));
      }
    },
    flush(controller) {
      if (ended) return;
      if (finishReason === undefined && !blocked) {
        fail(truncatedAnswerError(), controller);
        return;
      }
      start(controller);
      close(controller);
      const reason = stopReasonOf(finishReason, calledTools, blocked);
      controller.enqueue(event("message_delta", { delta: { stop_reason: reason, stop_sequence: null }, usage: anthropicUsage(usage) }));
      controller.enqueue(event("message_stop", {}));
    },
  };
}
