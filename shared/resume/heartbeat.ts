/**
 * Heartbeats: while the client has had nothing for a while (a slow first byte, a continuation
 * being requested), a `heartbeat` event keeps its connection and its idle timers alive. Native
 * SSE writes it as a `: keep-alive` comment, which the official SDKs skip (REFERENCE.md §6).
 */
import { MovingDeadline } from "./deadline.ts";
import type { GenerateEvent } from "./generate.ts";

/** What {@link Heartbeat.race} gives when a heartbeat fell due first. */
export const heartbeatDue: unique symbol = Symbol("heartbeat due");

/** When the next heartbeat is due. Waits run on every streamed event: one moving timer serves them all. */
export class Heartbeat {
  #last: number;
  /** Ends the current wait with `heartbeatDue`. */
  #wake: (() => void) | null = null;
  readonly #due = new MovingDeadline(
    () => this.remainingMs ?? Infinity,
    () => {
      const wake = this.#wake;
      this.#wake = null;
      wake?.();
    },
  );

  constructor(
    private readonly intervalMs: number,
    private readonly clock: () => number,
  ) {
    this.#last = clock();
  }

  /** Something reached the client now. */
  touch(): void {
    this.#last = this.clock();
  }

  /** Milliseconds until a heartbeat is due; null when heartbeats are off. */
  get remainingMs(): number | null {
    return this.intervalMs > 0 ? Math.max(0, this.#last + this.intervalMs - this.clock()) : null;
  }

  /** `promise`'s value, or `heartbeatDue` when a heartbeat falls due first (the promise runs on). */
  race<T>(promise: Promise<T>): Promise<T | typeof heartbeatDue> {
    if (this.remainingMs === null) return promise;
    return new Promise((resolve, reject) => {
      const wake = () => resolve(heartbeatDue);
      const settled = () => {
        if (this.#wake === wake) this.#wake = null;
      };
      this.#wake = wake;
      this.#due.arm();
      promise.then(
        (value) => {
          settled();
          resolve(value);
        },
        (error: unknown) => {
          settled();
          reject(error);
        },
      );
    });
  }

  /** Stops the timer: the answer is over. */
  stop(): void {
    this.#due.stop();
    this.#wake = null;
  }
}

/**
 * Waits for `promise`, yielding a heartbeat event whenever one falls due meanwhile; returns the
 * promise's value (or throws its error). Use with `yield*` inside the event generator; `overdue`
 * when a heartbeat already fell due (a first `race` lost to it) and goes out first.
 */
export async function* awaitWithHeartbeats<T>(promise: Promise<T>, heartbeat: Heartbeat, overdue = false): AsyncGenerator<GenerateEvent, T> {
  for (let due = overdue; ; due = true) {
    if (due) {
      heartbeat.touch();
      yield { kind: "heartbeat" };
    }
    const result = await heartbeat.race(promise);
    if (result !== heartbeatDue) return result;
  }
}
