/**
 * Server-sent events as Gemini uses them: `data: {json}` events separated by a blank line
 * (`\r\n\r\n` from Google; `\n\n` accepted), no event names, no `[DONE]` (REFERENCE.md §1).
 */
import { createParser } from "eventsource-parser";
import type { PullSource } from "../streams.ts";

const encoder = new TextEncoder();

/**
 * Reads the `data` payloads of an SSE byte stream, one per `read()`, in order. A plain parser
 * over the body's reader rather than a stream of its own: each web stream costs allocations on
 * every request (measured by `npm run bench`). A PullSource for streams.ts `transformed`.
 */
export class SseDataReader implements PullSource<string> {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  readonly #pending: string[] = [];
  readonly #parser = createParser({ onEvent: (event) => this.#pending.push(event.data) });
  #ended = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** The next payload, or `done` once the body has ended. */
  async read(): Promise<ReadableStreamReadResult<string>> {
    while (this.#pending.length === 0) {
      if (this.#ended) return { done: true, value: undefined };
      const next = await this.#reader.read();
      if (next.done) {
        this.#ended = true;
        this.#parser.feed(this.#decoder.decode());
        this.#parser.reset({ consume: true });
      } else this.#parser.feed(this.#decoder.decode(next.value, { stream: true }));
    }
    return { done: false, value: this.#pending.shift() ?? "" };
  }

  /** Cancels the body. */
  cancel(reason?: unknown): Promise<void> {
    return this.#reader.cancel(reason);
  }
}

/** One SSE event carrying `data`, framed with CRLF like Google's. */
export function encodeSseEvent(data: string): Uint8Array {
  return encoder.encode(`data: ${data}\r\n\r\n`);
}

/**
 * The heartbeat chunk: a candidate whose only part is empty text, without finishReason, usage or
 * identity. Not an SSE comment: the legacy `@google/generative-ai` parser (and LangChain's
 * `ChatGoogleGenerativeAI` on it) only matches `data: ` at the head of its buffer, so one comment
 * stalls it and it fails with "Failed to parse stream" at the end. Every Gemini client parses this
 * and takes nothing from it: @google/genai and the legacy SDK give an empty `text`, LangChain an
 * empty chunk, @ai-sdk/google skips empty text, the Gemini CLI (and @google/genai chats) leave it
 * out of the history as "invalid content" (README, client table; test/clients).
 */
export const heartbeatData = '{"candidates":[{"content":{"role":"model","parts":[{"text":""}]},"index":0}]}';

/** The heartbeat chunk as an SSE event (see {@link heartbeatData}). */
export const sseHeartbeat: Uint8Array = encodeSseEvent(heartbeatData);

/**
 * Writes the JSON array Gemini streams without `alt=sse`: `[` obj `,` obj `]`, incrementally so
 * each element still reaches the client at once. `elementOf` gives an item's JSON text, or null
 * to write nothing for it. A transformer, for streams.ts `transformed`.
 */
export function jsonArrayEncoder<T = string>(elementOf: (item: T) => string | null = (item) => String(item)): Transformer<T, Uint8Array> {
  let first = true;
  return {
    transform(item, controller) {
      const text = elementOf(item);
      if (text === null) return;
      controller.enqueue(encoder.encode(first ? `[${text}` : `\r\n,${text}`));
      first = false;
    },
    flush(controller) {
      controller.enqueue(encoder.encode(first ? "[]" : "]"));
    },
  };
}
