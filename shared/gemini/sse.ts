/**
 * Server-sent events as Gemini uses them: `data: {json}` events separated by a blank line
 * (`\r\n\r\n` from Google; `\n\n` accepted), no event names, no `[DONE]` (REFERENCE.md §1).
 */
import { EventSourceParserStream } from "eventsource-parser/stream";

const encoder = new TextEncoder();

/** Decodes an SSE byte stream into the `data` payloads of its events, in order. */
export function decodeSseData(body: ReadableStream<Uint8Array>): ReadableStream<string> {
  // The DOM typings want BufferSource chunks; Uint8Array is one.
  return (body as ReadableStream<BufferSource>)
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .pipeThrough(
      new TransformStream({
        transform(event, controller) {
          controller.enqueue(event.data);
        },
      }),
    );
}

/** One SSE event carrying `data`, framed with CRLF like Google's. */
export function encodeSseEvent(data: string): Uint8Array {
  return encoder.encode(`data: ${data}\r\n\r\n`);
}

/** An SSE comment line; clients skip it (REFERENCE.md §6). Used as a heartbeat while waiting. */
export const sseHeartbeat: Uint8Array = encoder.encode(": keep-alive\r\n\r\n");

/**
 * Re-encodes SSE `data` payloads as the JSON array Gemini streams without `alt=sse`:
 * `[` obj `,` obj `]`, written incrementally so each event still reaches the client at once.
 */
export function jsonArrayEncoder(): TransformStream<string, Uint8Array> {
  let first = true;
  return new TransformStream({
    transform(data, controller) {
      controller.enqueue(encoder.encode(first ? `[${data}` : `\r\n,${data}`));
      first = false;
    },
    flush(controller) {
      controller.enqueue(encoder.encode(first ? "[]" : "]"));
    },
  });
}
