/**
 * Writing generate events to a client that speaks Gemini native: SSE (`alt=sse`), the streamed
 * JSON array (no `alt`), or one JSON object (generateContent).
 *
 * A streamed answer that could not be completed must make every client raise. The error event
 * alone does not: the legacy `@google/generative-ai` (and LangChain on it) takes it for one more
 * chunk and returns the cut answer as a success. So SSE ends with the error event and then a
 * `data:` line that is not JSON, which that parser raises on (quoting the line); the array ends
 * with the error element and no closing `]`. Not an aborted body: workerd ends an errored
 * response body with a clean chunked end, so an abort would not reach the client from the worker
 * (README, client table).
 */
import { geminiErrorBody, type GemrelayError } from "../errors.ts";
import type { GenerateEvent } from "../resume/generate.ts";
import type { PullSource } from "../streams.ts";
import { aggregateChunks } from "./aggregate.ts";
import { encodeSseEvent, heartbeatData, jsonArrayEncoder, sseHeartbeat } from "./sse.ts";
import type { GenerateContentResponse } from "./types.ts";

/** The SSE payload after an error event: not JSON on purpose (see above); worded for whoever reads it in an exception. */
export const incompleteAnswerLine = "ANSWER_INCOMPLETE: gemrelay could not complete this answer; the error event before this line says why";

const incompleteAnswerEvent = encodeSseEvent(incompleteAnswerLine);

/** SSE framing as Google writes it; heartbeats as empty-text chunks; a failure as a final error event and the incomplete-answer line. A transformer (streams.ts). */
export function sseEncoder(): Transformer<GenerateEvent, Uint8Array> {
  return {
    transform(event, controller) {
      if (event.kind === "chunk") controller.enqueue(encodeSseEvent(event.data));
      else if (event.kind === "heartbeat") controller.enqueue(sseHeartbeat);
      else {
        controller.enqueue(encodeSseEvent(geminiErrorBody(event.error)));
        controller.enqueue(incompleteAnswerEvent);
      }
    },
  };
}

/** The streamed JSON array; heartbeats as empty-text elements; a failure becomes a final `{"error": …}` element and the array stays unclosed (no `]`: no client takes it for a whole answer). */
export function arrayEncoder(): Transformer<GenerateEvent, Uint8Array> {
  const array = jsonArrayEncoder<GenerateEvent>((event) => (event.kind === "chunk" ? event.data : event.kind === "error" ? geminiErrorBody(event.error) : heartbeatData));
  let failed = false;
  return {
    transform(event, controller) {
      if (failed) return;
      array.transform?.(event, controller);
      if (event.kind === "error") failed = true;
    },
    flush(controller) {
      if (!failed) return array.flush?.(controller);
    },
  };
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
