/**
 * One upstream attempt under stall timeouts: the request is sent through the routing scheduler
 * (so every attempt may use another key and relay), then its SSE body is read event by event. A
 * stall (no chunk within the first-byte timeout after sending, or within the chunk timeout of
 * waiting for the next one) aborts the attempt, which ends the upstream connection too.
 */
import { GemrelayError } from "../errors.ts";
import { SseDataReader } from "../gemini/sse.ts";
import { MovingDeadline } from "./deadline.ts";

/** What reading the attempt's body gave. */
export type UpstreamItem =
  | { kind: "data"; data: string }
  | { kind: "end" }
  | { kind: "broken"; message: string }
  | { kind: "stall" };

/** The two stall timeouts. */
export interface StallTimeouts {
  firstByteMs: number;
  chunkMs: number;
}

/** An attempt: `open` it, then read it with `next` until it ends; always `close` it. */
export class UpstreamAttempt {
  readonly #controller = new AbortController();
  readonly #clientSignal: AbortSignal | undefined;
  /** When waiting for Gemini becomes a stall (performance.now() time); Infinity while not waiting. */
  #deadline = Infinity;
  /** One stall timer per attempt, re-armed lazily as the deadline moves on every chunk. */
  readonly #stall = new MovingDeadline(
    () => this.#deadline - performance.now(),
    () => {
      this.#stalled = true;
      this.#abort(new GemrelayError("Gemini stalled.", 504));
    },
  );
  #reader: SseDataReader | null = null;
  #stalled = false;
  #closed = false;
  /** The body was read to its end: nothing upstream is left to stop. */
  #ended = false;
  /** A chunk has arrived (the first-byte timeout is over). */
  #received = false;

  constructor(
    private readonly timeouts: StallTimeouts,
    clientSignal: AbortSignal | undefined,
  ) {
    this.#clientSignal = clientSignal;
    // A client that leaves ends the attempt (and its upstream connection) as well.
    if (clientSignal?.aborted) this.#controller.abort();
    else clientSignal?.addEventListener("abort", this.#onClientAbort, { once: true });
  }

  readonly #onClientAbort = (): void => this.#controller.abort();

  /** Aborts when the attempt stalls, is closed, or the client goes away. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether the attempt was given up for a stall. */
  get stalled(): boolean {
    return this.#stalled;
  }

  /**
   * Sends the request with `send` (given this attempt's signal). Resolves with the response, or
   * null when no answer came within the first-byte timeout. Errors of `send` are rethrown unless
   * they only reflect the stall.
   */
  async open(send: (signal: AbortSignal) => Promise<Response>): Promise<Response | null> {
    this.#arm(this.timeouts.firstByteMs);
    try {
      const response = await send(this.#controller.signal);
      if (this.#stalled) {
        await response.body?.cancel().catch(() => undefined);
        return null;
      }
      if (response.ok && response.body) this.#reader = new SseDataReader(response.body);
      else this.#disarm();
      return response;
    } catch (error) {
      if (this.#stalled) return null;
      this.#disarm();
      throw error;
    }
  }

  /** The next SSE data payload, or how the body ended. */
  async next(): Promise<UpstreamItem> {
    const reader = this.#reader;
    if (reader === null) return { kind: "end" };
    // The clock runs only while waiting for Gemini: a client that reads slowly is not a stall.
    // Before the first chunk the first-byte timer, armed when the request went out, runs on.
    if (this.#received) this.#arm(this.timeouts.chunkMs);
    try {
      const result = await reader.read();
      if (this.#stalled) return { kind: "stall" };
      this.#disarm();
      if (result.done) {
        this.#ended = true;
        return { kind: "end" };
      }
      this.#received = true;
      return { kind: "data", data: result.value };
    } catch (error) {
      if (this.#stalled) return { kind: "stall" };
      this.#disarm();
      return { kind: "broken", message: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * Ends the attempt: timers cleared, body cancelled, upstream request aborted. Idempotent. With
   * `drain` (the answer is complete) the rest of the body, normally just its end, is read first,
   * so the upstream connection is kept for the next request instead of being cut; anything more
   * than the end, or nothing within the chunk timeout, is cut as before.
   */
  close(drain = false): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disarm();
    this.#stall.stop();
    this.#clientSignal?.removeEventListener("abort", this.#onClientAbort);
    if (this.#ended) return;
    const reader = this.#reader;
    const closed = () => new GemrelayError("Attempt closed.", 499);
    if (!drain || reader === null) return this.#abort(closed());
    const timer = setTimeout(() => this.#abort(closed()), this.timeouts.chunkMs);
    reader.read().then(
      (result) => {
        clearTimeout(timer);
        if (!result.done) this.#abort(closed());
      },
      () => clearTimeout(timer),
    );
  }

  #abort(reason: GemrelayError): void {
    void this.#reader?.cancel().catch(() => undefined);
    this.#controller.abort(reason);
  }

  #arm(ms: number): void {
    this.#deadline = performance.now() + ms;
    this.#stall.arm();
  }

  #disarm(): void {
    this.#deadline = Infinity;
  }
}
