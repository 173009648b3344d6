/**
 * Writing generate events to a client that speaks Gemini native: SSE (`alt=sse`), the streamed
 * JSON array (no `alt`), or one JSON object (generateContent).
 *
 * A streamed answer that could not be completed ends with the error event and then an aborted
 * body (the connection is cut, no clean end of the chunked body): the error event alone is
 * taken for a chunk by clients that never look for it (the legacy `@google/generative-ai`,
 * LangChain on it), which would return the cut answer as a success; an aborted body makes every
 * client raise (README, client table).
 */
import { geminiErrorBody, type GemrelayError } from "../errors.ts";
import type { GenerateEvent } from "../resume/generate.ts";
import type { PullSource } from "../streams.ts";
import { aggregateChunks } from "./aggregate.ts";
import { encodeSseEvent, heartbeatData, jsonArrayEncoder, sseHeartbeat } from "./sse.ts";
import type { GenerateContentResponse } from "./types.ts";

/** Why the body of an answer that ended in an error event is aborted (never shown to the client: it only ends the body). */
export class IncompleteAnswerAbort extends Error {
  constructor() {
    super("the answer could not be completed; its error event was the last one");
    this.name = "IncompleteAnswerAbort";
  }
}

/**
 * `transformer` for generate events, its body aborted once an error event has gone out. The abort
 * happens at the next pull after the error event, that is once the client side has taken the
 * event's bytes, so they are written before the connection goes.
 */
function abortingAfterError(transformer: Transformer<GenerateEvent, Uint8Array>): Transformer<GenerateEvent, Uint8Array> {
  let failed = false;
  return {
    transform(event, controller) {
      if (failed) return;
      transformer.transform?.(event, controller);
      if (event.kind === "error") failed = true;
    },
    flush(controller) {
      if (failed) controller.error(new IncompleteAnswerAbort());
      else return transformer.flush?.(controller);
    },
  };
}

/** SSE framing as Google writes it; heartbeats as empty-text chunks; a failure as a final error event and an aborted body. A transformer (streams.ts). */
export function sseEncoder(): Transformer<GenerateEvent, Uint8Array> {
  return abortingAfterError({
    transform(event, controller) {
      if (event.kind === "chunk") controller.enqueue(encodeSseEvent(event.data));
      else if (event.kind === "heartbeat") controller.enqueue(sseHeartbeat);
      else controller.enqueue(encodeSseEvent(geminiErrorBody(event.error)));
    },
  });
}

/** The streamed JSON array; heartbeats as empty-text elements; a failure becomes a final `{"error": …}` element and an aborted body (no closing `]`). */
export function arrayEncoder(): Transformer<GenerateEvent, Uint8Array> {
  return abortingAfterError(jsonArrayEncoder<GenerateEvent>((event) => (event.kind === "chunk" ? event.data : event.kind === "error" ? geminiErrorBody(event.error) : heartbeatData)));
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
