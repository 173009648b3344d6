/**
 * The visible text of one attempt on its way to the client: through the seam (a continuation's
 * start) and the sentinel stripper (sentinel mode), either of which may be absent. With neither,
 * text passes unchanged, so a first attempt is forwarded as Gemini sent it.
 */
import { SentinelStripper } from "./sentinel.ts";
import type { Seam } from "./stitch.ts";

/** One attempt's visible-text filter. */
export class VisibleText {
  readonly #seam: Seam | null;
  readonly #sentinel: SentinelStripper | null;

  constructor(seam: Seam | null, sentinel: boolean) {
    this.#seam = seam;
    this.#sentinel = sentinel ? new SentinelStripper() : null;
  }

  /** Feeds text as it arrives; returns what may go to the client now. */
  push(text: string): string {
    const stitched = this.#seam ? this.#seam.push(text) : text;
    return this.#sentinel ? this.#sentinel.push(stitched) : stitched;
  }

  /** The attempt's text is complete (a finish, or a tool call after it): returns what was held. */
  finish(): string {
    const stitched = this.#seam ? this.#seam.finish() : "";
    if (!this.#sentinel) return stitched;
    return this.#sentinel.push(stitched) + this.#sentinel.finish();
  }

  /** Sentinel mode: whether the marker was seen; undefined otherwise. */
  get sentinel(): "seen" | "missing" | undefined {
    if (!this.#sentinel) return undefined;
    return this.#sentinel.seen ? "seen" : "missing";
  }
}
