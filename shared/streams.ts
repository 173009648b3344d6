/**
 * Web streams at the cost of one: `transformed` gives what `source.pipeThrough(new
 * TransformStream(transformer))` gives, as a single stream pulled by its reader. A TransformStream
 * adds a writable and a readable side and its pipe a chain of promises on every chunk, all held
 * as long as the stream is open; at a thousand open answers and every event of each, that was
 * most of what a stream cost (`npm run bench`).
 */

/** How a response body ended: read to its end, given up by its reader, or failed. */
export type BodyEnd = "sent" | "abandoned" | "failed";

/** What `transformed` reads from: a stream's reader, or anything read the same way without a stream. */
export interface PullSource<T> {
  read(): Promise<ReadableStreamReadResult<T>>;
  cancel(reason?: unknown): Promise<void>;
}

/**
 * `source` through `transformer` (start, transform, flush, as for a TransformStream). Nothing is
 * read from `source` before the reader asks, and each item goes on as soon as it is transformed,
 * so a streamed answer is neither buffered nor delayed. `onEnd` hears once how the stream ended.
 */
export function transformed<I, O>(source: ReadableStream<I> | PullSource<I>, transformer: Transformer<I, O>, onEnd?: (end: BodyEnd) => void): ReadableStream<O> {
  const reader = source instanceof ReadableStream ? source.getReader() : source;
  let ended = false;
  const end = (how: BodyEnd) => {
    if (!ended) onEnd?.(how);
    ended = true;
  };
  let target: ReadableStreamDefaultController<O> | undefined;
  let enqueued = false;
  const controller: TransformStreamDefaultController<O> = {
    get desiredSize() {
      return target?.desiredSize ?? null;
    },
    enqueue(chunk) {
      enqueued = true;
      target?.enqueue(chunk as O);
    },
    error(reason) {
      target?.error(reason);
      end("failed");
      void reader.cancel(reason).catch(() => undefined);
    },
    terminate() {
      close();
      void reader.cancel().catch(() => undefined);
    },
  };
  const close = () => {
    target?.close();
    end("sent");
  };
  return new ReadableStream<O>(
    {
      async start(readable) {
        target = readable;
        await transformer.start?.(controller);
      },
      async pull() {
        try {
          enqueued = false;
          while (!enqueued && !ended) {
            const next = await reader.read();
            if (next.done) {
              await transformer.flush?.(controller);
              if (!ended) close();
              return;
            }
            if (transformer.transform) await transformer.transform(next.value, controller);
            else controller.enqueue(next.value as unknown as O);
          }
        } catch (error) {
          controller.error(error);
        }
      },
      cancel(reason) {
        end("abandoned");
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Response headers of a streamed answer (SSE or the incrementally written JSON array).
 * A compressing layer holds a body until it has enough to compress: workerd does so for
 * `application/json` whenever the client sends `Accept-Encoding: gzip` (Node's fetch always does),
 * so six events a second apart arrived as one after the last (workers-sdk #7435, #8004, #7725),
 * and Cloudflare's edge compresses JSON too. `content-encoding: identity` says the body is already
 * encoded as it is, which every layer leaves alone; `no-transform` asks proxies the same.
 */
export function streamedAnswerHeaders(contentType: string): Record<string, string> {
  return { "content-type": contentType, "cache-control": "no-cache, no-transform", "content-encoding": "identity" };
}
