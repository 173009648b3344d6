/**
 * Seam stitching: the visible text of a continuation, cleaned so that the client's text reads as
 * one answer. At the very start of the continuation a preamble is dropped (preamble.ts), then the
 * repeated end of the sent text (overlap.ts). Inside an open code fence, a fence the model opens
 * again is dropped as well, so the fence that is open stays the one that closes; the repeat is
 * then looked for after it. Text is held only while one of these is undecided; after that
 * everything flows through unchanged.
 */
import { OverlapMatcher, defaultOverlapOptions, type OverlapOptions } from "./overlap.ts";
import { matchPreamble } from "./preamble.ts";

const fenceLine = /^\s{0,3}(```|~~~)/;

/**
 * Whether `text` ends inside a fenced code block: an odd number of complete ``` or ~~~ fence
 * lines (a fence line still being written when the text was cut does not count yet).
 */
export function insideCodeFence(text: string): boolean {
  const lines = text.split("\n");
  if (!text.endsWith("\n")) lines.pop();
  return lines.filter((line) => fenceLine.test(line)).length % 2 === 1;
}

/**
 * Length of a fence line opening the continuation (``` plus an info string, e.g. "```python\n"),
 * 0 when there is none, -1 while undecided. A bare ``` is left alone: it may close the block.
 */
function reopenedFence(text: string, final: boolean): number {
  const match = /^\s*(```|~~~)/.exec(text);
  if (!match) {
    const trimmed = text.trimStart();
    const couldStart = trimmed.length < 3 && ("```".startsWith(trimmed) || "~~~".startsWith(trimmed));
    return couldStart && !final ? -1 : 0;
  }
  const newline = text.indexOf("\n", match[0].length);
  if (newline < 0) return final ? 0 : -1;
  const info = text.slice(match[0].length, newline).trim();
  return /^[\w+#.-]+$/.test(info) ? newline + 1 : 0;
}

/** An overlap matcher fed from `offset` of the seam's pending text. */
interface Reading {
  matcher: OverlapMatcher;
  offset: number;
  fed: number;
}

/** One seam: feed the continuation's visible text, get what may go to the client. */
export class Seam {
  readonly #sent: string;
  readonly #options: OverlapOptions;
  #phase: "preamble" | "overlap" | "through" = "preamble";
  /** Continuation text not released yet. */
  #pending = "";
  /** The repeat read from the start, and (after a reopened fence) read after the fence line. */
  #readings: Reading[] | null = null;

  /** `sent` is the visible text the client already has. */
  constructor(sent: string, options: OverlapOptions = defaultOverlapOptions) {
    this.#sent = sent;
    this.#options = options;
  }

  /** Feeds continuation text; returns the text that may go to the client now. */
  push(text: string): string {
    if (this.#phase === "through") return text;
    this.#pending += text;
    return this.#advance(false);
  }

  /** The continuation's visible text is complete: returns what is left to send. */
  finish(): string {
    if (this.#phase === "through") return "";
    return this.#advance(true);
  }

  #advance(final: boolean): string {
    if (this.#phase === "preamble") {
      const preamble = matchPreamble(this.#pending, final);
      if (preamble.kind === "undecided") return "";
      if (preamble.kind === "preamble") this.#pending = this.#pending.slice(preamble.length);
      this.#phase = "overlap";
    }
    if (this.#readings === null) {
      const fence = insideCodeFence(this.#sent) ? reopenedFence(this.#pending, final) : 0;
      if (fence < 0) return "";
      this.#readings = [{ matcher: new OverlapMatcher(this.#sent, this.#options), offset: 0, fed: 0 }];
      if (fence > 0) this.#readings.push({ matcher: new OverlapMatcher(this.#sent, this.#options), offset: fence, fed: fence });
    }
    for (const reading of this.#readings) {
      reading.matcher.push(this.#pending.slice(reading.fed));
      reading.fed = this.#pending.length;
    }
    if (!final && !this.#readings.every((reading) => reading.matcher.decided)) return "";
    // Whichever reading explains more of the start wins (the fence reading drops its fence line even without a repeat).
    const skip = Math.max(...this.#readings.map((reading) => reading.offset + reading.matcher.skip()));
    const released = this.#pending.slice(skip);
    this.#pending = "";
    this.#phase = "through";
    return released;
  }
}
