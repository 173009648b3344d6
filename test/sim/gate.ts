/**
 * An event gate: holds a streamed answer before each event until the test lets it go, and
 * records what was written. With it a test can prove that every event reaches the client while
 * the simulator still holds the next one (no buffering on the way), without timing thresholds.
 *
 * ```ts
 * const gate = sim.gateNextStream();
 * const response = fetch(…);              // the answer starts; nothing is written yet
 * gate.release();                         // event 1 may go
 * // … read event 1 at the client: gate.written has 1 entry and event 2 is still held
 * ```
 */

/** Holds a stream's events until released. */
export class EventGate {
  /** The events written so far, in order (the objects the simulator serialized). */
  readonly written: Record<string, unknown>[] = [];
  #permits = 0;
  #waiting: (() => void) | null = null;

  /** Lets `count` more events go. */
  release(count = 1): void {
    this.#permits += count;
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.();
  }

  /** Resolves true when the next event may be written, false if `signal` aborts first. */
  async pass(signal: AbortSignal): Promise<boolean> {
    while (this.#permits === 0) {
      if (signal.aborted) return false;
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
    this.#permits -= 1;
    return !signal.aborted;
  }

  /** Called by the simulator once an event was written. */
  record(event: Record<string, unknown>): void {
    this.written.push(event);
  }
}
