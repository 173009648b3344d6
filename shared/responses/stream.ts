/**
 * Generate events → the Responses API's semantic stream, as the openai SDK's `responses.stream`
 * accumulates it (node_modules/openai/lib/responses/ResponseAccumulator.js): `response.created`
 * and `response.in_progress`; per output item `response.output_item.added`, its parts and
 * deltas (`response.reasoning_summary_text.delta`, `response.output_text.delta`,
 * `response.function_call_arguments.delta`) with their `.done`, and `response.output_item.done`;
 * then `response.completed` (or `response.incomplete`) with the whole Response. Every event
 * carries a `sequence_number`. Heartbeats are SSE comments, which the SDK skips.
 *
 * A failure after the stream began is `response.failed` followed by an `error` event whose data
 * holds an `error` object, on which the SDK throws (core/streaming.js): never a clean short answer.
 */
import { openAiError } from "../openai/errors.ts";
import type { GemrelayError } from "../errors.ts";
import type { GenerateContentResponse, Part, UsageMetadata } from "../gemini/types.ts";
import { truncatedAnswerError } from "../protocols/generate.ts";
import type { GenerateEvent } from "../resume/generate.ts";
import { endingOf, functionCallItemOf, newItemId, responseObject, type MessageItem, type OutputItem, type ReasoningItem, type ResponseMeta } from "./output.ts";

const encoder = new TextEncoder();
const heartbeat = encoder.encode(": keep-alive\n\n");

/** Streams one response with identity `meta`. A transformer (streams.ts). */
export function responseEventEncoder(meta: ResponseMeta): Transformer<GenerateEvent, Uint8Array> {
  let sequence = 0;
  const output: OutputItem[] = [];
  let open: MessageItem | ReasoningItem | null = null;
  let finishReason: string | undefined;
  let blocked = false;
  let usage: UsageMetadata | undefined;
  let ended = false;

  type Controller = TransformStreamDefaultController<Uint8Array>;
  const send = (controller: Controller, type: string, data: Record<string, unknown>) => {
    controller.enqueue(encoder.encode(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`));
  };
  const snapshot = (item: OutputItem): OutputItem => structuredClone(item);

  const close = (controller: Controller) => {
    if (open === null) return;
    const item = open;
    const output_index = output.indexOf(item);
    if (item.type === "message") {
      const part = item.content[0]!;
      send(controller, "response.output_text.done", { item_id: item.id, output_index, content_index: 0, text: part.text, logprobs: [] });
      send(controller, "response.content_part.done", { item_id: item.id, output_index, content_index: 0, part: { ...part } });
      item.status = "completed";
    } else {
      const summary = item.summary[0]!;
      send(controller, "response.reasoning_summary_text.done", { item_id: item.id, output_index, summary_index: 0, text: summary.text });
      send(controller, "response.reasoning_summary_part.done", { item_id: item.id, output_index, summary_index: 0, part: { ...summary } });
    }
    send(controller, "response.output_item.done", { output_index, item: snapshot(item) });
    open = null;
  };

  const reasoning = (text: string, controller: Controller) => {
    if (open?.type !== "reasoning") {
      close(controller);
      const item: ReasoningItem = { type: "reasoning", id: newItemId("rs"), summary: [] };
      output.push(item);
      send(controller, "response.output_item.added", { output_index: output.length - 1, item: snapshot(item) });
      item.summary.push({ type: "summary_text", text: "" });
      send(controller, "response.reasoning_summary_part.added", { item_id: item.id, output_index: output.length - 1, summary_index: 0, part: { type: "summary_text", text: "" } });
      open = item;
    }
    open.summary[0]!.text += text;
    send(controller, "response.reasoning_summary_text.delta", { item_id: open.id, output_index: output.indexOf(open), summary_index: 0, delta: text });
  };

  const text = (delta: string, controller: Controller) => {
    if (open?.type !== "message") {
      close(controller);
      const item: MessageItem = { type: "message", id: newItemId("msg"), status: "in_progress", role: "assistant", content: [] };
      output.push(item);
      send(controller, "response.output_item.added", { output_index: output.length - 1, item: snapshot(item) });
      const part = { type: "output_text" as const, text: "", annotations: [], logprobs: [] };
      item.content.push(part);
      send(controller, "response.content_part.added", { item_id: item.id, output_index: output.length - 1, content_index: 0, part: { ...part } });
      open = item;
    }
    open.content[0]!.text += delta;
    send(controller, "response.output_text.delta", { item_id: open.id, output_index: output.indexOf(open), content_index: 0, delta, logprobs: [] });
  };

  const call = (part: Part, controller: Controller) => {
    const item = functionCallItemOf(part);
    if (!item) return;
    close(controller);
    output.push(item);
    const output_index = output.length - 1;
    send(controller, "response.output_item.added", { output_index, item: { ...item, arguments: "", status: "in_progress" } });
    send(controller, "response.function_call_arguments.delta", { item_id: item.id, output_index, delta: item.arguments });
    send(controller, "response.function_call_arguments.done", { item_id: item.id, output_index, name: item.name, arguments: item.arguments });
    send(controller, "response.output_item.done", { output_index, item: snapshot(item) });
  };

  const chunk = (response: GenerateContentResponse, controller: Controller) => {
    if (response.usageMetadata) usage = response.usageMetadata;
    if (response.promptFeedback?.blockReason) blocked = true;
    const candidate = response.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      if (part.functionCall) call(part, controller);
      else if (part.thought === true && part.text) reasoning(part.text, controller);
      else if (part.text && part.thought !== true) text(part.text, controller);
    }
    finishReason ??= candidate?.finishReason;
  };

  const fail = (error: GemrelayError, controller: Controller) => {
    const body = openAiError(error).body;
    const failure = { code: body.code ?? body.type, message: body.message };
    send(controller, "response.failed", { response: responseObject(meta, output, { status: "failed", error: failure }, usage) });
    send(controller, "error", { code: failure.code, message: body.message, param: body.param, error: body });
    ended = true;
  };

  return {
    start(controller) {
      const created = responseObject(meta, [], { status: "in_progress" }, undefined);
      send(controller, "response.created", { response: created });
      send(controller, "response.in_progress", { response: created });
    },
    transform(item, controller) {
      if (ended) return;
      if (item.kind === "chunk") chunk(item.response, controller);
      else if (item.kind === "error") fail(item.error, controller);
      else controller.enqueue(heartbeat);
    },
    flush(controller) {
      if (ended) return;
      if (finishReason === undefined && !blocked) {
        fail(truncatedAnswerError(), controller);
        return;
      }
      close(controller);
      const ending = endingOf(finishReason, blocked);
      send(controller, ending.status === "completed" ? "response.completed" : "response.incomplete", { response: responseObject(meta, output, ending, usage) });
    },
  };
}
