/**
 * Server-sent events as Gemini uses them: `data: {json}` events separated by a blank line
 * (`\r\n\r\n` from Google; `\n\n` accepted), no event names, no `[DONE]` (REFERENCE.md §1).
 */
import { createParser } from "eventsource-parser";

const encoder = new TextEncoder();

/**
 * Decodes an SSE byte stream into the `data` payloads of its events, in order. One stream and a
 * plain parser rather than a chain of TransformStreams: each web stream costs allocations on
 * every request (measured by `npm run bench`).
 */
export function decodeSseData(body: ReadableStream<Uint8Array>): ReadableStream<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const pending: string[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event.data) });
  return new ReadableStream<string>({
    async pull(controller) {
      while (pending.length === 0) {
        const next = await reader.read();
        if (next.done) {
          parser.feed(decoder.decode());
          parser.reset({ consume: true });
          for (const data of pending.splice(0)) controller.enqueue(data);
          controller.close();
          return;
        }
        parser.feed(decoder.decode(next.value, { stream: true }));
      }
      for (const data of pending.splice(0)) controller.enqueue(data);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** One SSE event carrying `data`, framed with CRLF like Google's. */
export function encodeSseEvent(data: string): Uint8Array {
  return encoder.encode(`data: ${data}\r\n\r\n`);
}

/** An SSE comment line; clients skip it (REFERENCE.md §6). Used as a heartbeat while waiting. */
export const sseHeartbeat: Uint8Array = encoder.encode(": keep-alive\r\n\r\n");

/**
 * Writes the JSON array Gemini streams without `alt=sse`: `[` obj `,` obj `]`, incrementally so
 * each element still reaches the client at once. `elementOf` gives an item's JSON text, or null
 * to write nothing for it (heartbeats).
 */
export function jsonArrayEncoder<T = string>(elementOf: (item: T) => string | null = (item) => String(item)): TransformStream<T, Uint8Array> {
  let first = true;
  return new TransformStream({
    transform(item, controller) {
      const text = elementOf(item);
      if (text === null) return;
      controller.enqueue(encoder.encode(first ? `[${text}` : `\r\n,${text}`));
      first = false;
    },
    flush(controller) {
      controller.enqueue(encoder.encode(first ? "[]" : "]"));
    },
  });
}
