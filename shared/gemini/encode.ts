/**
 * Writing generate events to a client that speaks Gemini native: SSE (`alt=sse`), the streamed
 * JSON array (no `alt`), or one JSON object (generateContent).
 */
import { geminiErrorBody, type GemrelayError } from "../errors.ts";
import type { GenerateEvent } from "../resume/generate.ts";
import { aggregateChunks } from "./aggregate.ts";
import { encodeSseEvent, jsonArrayEncoder, sseHeartbeat } from "./sse.ts";
import type { GenerateContentResponse } from "./types.ts";

/** SSE framing as Google writes it; heartbeats as comments; a failure as a final error event. */
export function sseEncoder(): TransformStream<GenerateEvent, Uint8Array> {
  return new TransformStream({
    transform(event, controller) {
      if (event.kind === "chunk") controller.enqueue(encodeSseEvent(event.data));
      else if (event.kind === "heartbeat") controller.enqueue(sseHeartbeat);
      else controller.enqueue(encodeSseEvent(geminiErrorBody(event.error)));
    },
  });
}

/** The streamed JSON array; a failure becomes a final `{"error": …}` element, heartbeats write nothing. */
export function arrayEncoder(): TransformStream<GenerateEvent, Uint8Array> {
  return jsonArrayEncoder<GenerateEvent>((event) => (event.kind === "chunk" ? event.data : event.kind === "error" ? geminiErrorBody(event.error) : null));
}

/** Reads every event: the assembled answer, or the error that ended it. */
export async function collectAnswer(events: ReadableStream<GenerateEvent>): Promise<{ response: GenerateContentResponse } | { error: GemrelayError }> {
  const chunks: GenerateContentResponse[] = [];
  for await (const event of events as unknown as AsyncIterable<GenerateEvent>) {
    if (event.kind === "chunk") chunks.push(event.response);
    else if (event.kind === "error") return { error: event.error };
  }
  return { response: aggregateChunks(chunks) };
}
