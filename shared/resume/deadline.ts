/**
 * A deadline that moves later on every streamed event (a stall timeout, the next heartbeat) with
 * one timer instead of one per event: a timer that fires before the deadline sleeps on for the
 * rest. At a thousand open answers a timer per event was a timer object per event.
 */
export class MovingDeadline {
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer fires (performance.now() time); Infinity without one. */
  #timerAt = Infinity;

  /**
   * @param remainingMs milliseconds until the deadline; Infinity when there is none
   * @param fire called once the deadline has passed while armed
   */
  constructor(
    private readonly remainingMs: () => number,
    private readonly fire: () => void,
  ) {}

  /** Makes sure a timer wakes no later than the deadline; keeps the one running when it does. */
  arm(): void {
    const left = this.remainingMs();
    if (left === Infinity || this.#timerAt <= performance.now() + left) return;
    clearTimeout(this.#timer);
    this.#schedule(left);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #schedule(ms: number): void {
    this.#timerAt = performance.now() + ms;
    this.#timer = setTimeout(this.#check, ms);
  }

  readonly #check = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const left = this.remainingMs();
    if (left === Infinity) return;
    if (left > 0) return this.#schedule(left);
    this.fire();
  };
}
