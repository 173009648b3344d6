/**
 * Heartbeats: while the client has had nothing for a while (a slow first byte, a continuation
 * being requested), a `heartbeat` event keeps its connection and its idle timers alive. Native
 * SSE writes it as a `: keep-alive` comment, which the official SDKs skip (REFERENCE.md §6).
 */
import type { GenerateEvent } from "./generate.ts";

/** When the next heartbeat is due. */
export class Heartbeat {
  #last: number;

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
}

/** Resolves with the promise's value, or with `timeout` after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), ms)));
  return Promise.race([promise.then((value) => ({ value })), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Waits for `promise`, yielding a heartbeat event whenever one falls due meanwhile; returns the
 * promise's value (or throws its error). Use with `yield*` inside the event generator.
 */
export async function* awaitWithHeartbeats<T>(promise: Promise<T>, heartbeat: Heartbeat): AsyncGenerator<GenerateEvent, T> {
  for (;;) {
    const remaining = heartbeat.remainingMs;
    if (remaining === null) return await promise;
    const result = await within(promise, remaining);
    if (result !== "timeout") return result.value;
    heartbeat.touch();
    yield { kind: "heartbeat" };
  }
}
