/**
 * Writing generate events to a client that speaks Gemini native: SSE (`alt=sse`), the streamed
 * JSON array (no `alt`), or one JSON object (generateContent).
 */
import { geminiErrorBody, type GemrelayError } from "../errors.ts";
import type { GenerateEvent } from "../resume/generate.ts";
import type { PullSource } from "../streams.ts";
import { aggregateChunks } from "./aggregate.ts";
import { encodeSseEvent, jsonArrayEncoder, sseHeartbeat } from "./sse.ts";
import type { GenerateContentResponse } from "./types.ts";

/** SSE framing as Google writes it; heartbeats as comments; a failure as a final error event. A transformer (streams.ts). */
export function sseEncoder(): Transformer<GenerateEvent, Uint8Array> {
  return {
    transform(event, controller) {
      if (event.kind === "chunk") controller.enqueue(encodeSseEvent(event.data));
      else if (event.kind === "heartbeat") controller.enqueue(sseHeartbeat);
      else controller.enqueue(encodeSseEvent(geminiErrorBody(event.error)));
    },
  };
}

/** The streamed JSON array; a failure becomes a final `{"error": …}` element, heartbeats write nothing. */
export function arrayEncoder(): Transformer<GenerateEvent, Uint8Array> {
  return jsonArrayEncoder<GenerateEvent>((event) => (event.kind === "chunk" ? event.data : event.kind === "error" ? geminiErrorBody(event.error) : null));
}

/** Reads every event: the assembled answer, or the error that ended it. */
export async function collectAnswer(events: PullSource<GenerateEvent>): Promise<{ response: GenerateContentResponse } | { error: GemrelayError }> {
  const chunks: GenerateContentResponse[] = [];
  for (let next = await events.read(); !next.done; next = await events.read()) {
    const event = next.value;
    if (event.kind === "chunk") chunks.push(event.response);
    else if (event.kind === "error") {
      await events.cancel();
      return { error: event.error };
    }
  }
  return { response: aggregateChunks(chunks) };
}
