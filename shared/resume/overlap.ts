/**
 * Finding the overlap at a seam: how much of a continuation's start repeats the end of the text
 * the client already has. Models asked to continue often repeat 0–200 characters of the tail
 * (the last words, the last line), sometimes with other whitespace (REFERENCE.md §6).
 *
 * The match is the longest suffix of the sent text that is a prefix of the continuation, compared
 * with every whitespace run collapsed to one space. To keep legitimately repeated short text
 * ("hel" + "lo" must stay "hello"), a match counts only when it is long (`minimum`), or when it is
 * at least `minimumAtWordStart` long, holds a letter or digit and starts at a word start of the
 * sent text (the model restarting the cut word: "…the bro" + "brown fox"). Text is fed as it
 * arrives; the matcher decides as soon as no longer match is possible, so only the characters
 * that could still be a repeat are held back.
 */

/** Tuning of the overlap match. */
export interface OverlapOptions {
  /** Shortest match accepted anywhere (characters of the sent text). */
  minimum: number;
  /** Shortest match accepted when it starts at a word start of the sent text (characters of the sent text). */
  minimumAtWordStart: number;
  /** How much of the sent text's end is searched (characters). */
  window: number;
}

/** Defaults: see the module comment. */
export const defaultOverlapOptions: OverlapOptions = { minimum: 10, minimumAtWordStart: 3, window: 1_000 };

const whitespace = /\s/;
const wordCharacter = /[\p{L}\p{N}_]/u;
const letterOrDigit = /[\p{L}\p{N}]/u;

/** `text` with every whitespace run collapsed to one space, and where each collapsed character starts in `text`. */
function collapseWhitespace(text: string): { collapsed: string; starts: number[] } {
  let collapsed = "";
  const starts: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const character = text[index] ?? "";
    if (!whitespace.test(character)) collapsed += character;
    else if (index > 0 && whitespace.test(text[index - 1] ?? "")) continue;
    else collapsed += " ";
    starts.push(index);
  }
  return { collapsed, starts };
}

/** Length of the whitespace run that ends `text`. */
function trailingWhitespace(text: string): number {
  let count = 0;
  while (count < text.length && whitespace.test(text[text.length - 1 - count] ?? "")) count++;
  return count;
}

/** Incremental suffix/prefix matcher for one seam. */
export class OverlapMatcher {
  /** The end of the sent text, whitespace collapsed. */
  readonly #tail: string;
  /** Raw length of the whitespace run that ends the sent text. */
  readonly #tailSpace: number;
  /** Start positions in #tail of matches that the continuation has not contradicted yet. */
  #open: number[] = [];
  /** Smallest start of a complete match (the longest one), if any. */
  #best: number | null = null;
  /** The continuation as fed so far (raw). */
  #text = "";
  /** Raw index in #text where each collapsed character starts. */
  readonly #starts: number[] = [];
  #inSpace = false;
  /** The match ends in whitespace and the continuation's run of it may not be complete yet. */
  #closingSpace = false;

  constructor(sent: string, options: OverlapOptions = defaultOverlapOptions) {
    const raw = sent.slice(-options.window);
    const whole = raw.length === sent.length;
    const { collapsed, starts } = collapseWhitespace(raw);
    this.#tail = collapsed;
    this.#tailSpace = trailingWhitespace(raw);
    for (let start = 0; start < collapsed.length; start++) {
      // Lengths count characters of the sent text as the client saw them.
      const length = raw.length - (starts[start] ?? 0);
      if (length >= options.minimum) this.#open.push(start);
      else if (length >= options.minimumAtWordStart && this.#startsWord(start, whole) && letterOrDigit.test(collapsed.slice(start))) this.#open.push(start);
    }
  }

  #startsWord(start: number, whole: boolean): boolean {
    const tail = this.#tail;
    if (tail[start] === " ") return true;
    if (start === 0) return whole;
    return !wordCharacter.test(tail[start - 1] ?? "");
  }

  /** True once no longer match is possible and the match's closing whitespace is complete: `skip()` is final. */
  get decided(): boolean {
    return this.#open.length === 0 && !this.#closingSpace;
  }

  /** Feeds continuation text. */
  push(text: string): void {
    // UTF-16 code units on both sides: a surrogate pair matches as two units, consistently.
    for (let offset = 0; offset < text.length; offset++) {
      const character = text[offset] ?? "";
      if (this.#open.length === 0) {
        // Decided but for the whitespace run that ends the match: it may still be growing.
        if (!this.#closingSpace) return;
        if (!whitespace.test(character)) {
          this.#closingSpace = false;
          return;
        }
        this.#text += character;
        continue;
      }
      const index = this.#text.length;
      this.#text += character;
      if (whitespace.test(character)) {
        if (this.#inSpace) continue;
        this.#inSpace = true;
        this.#advance(" ", index);
      } else {
        this.#inSpace = false;
        this.#advance(character, index);
      }
      if (this.#open.length === 0) this.#closingSpace = this.#inSpace && this.#best !== null && this.#starts.length === this.#tail.length - this.#best;
    }
  }

  /** One collapsed character. */
  #advance(character: string, rawIndex: number): void {
    const position = this.#starts.length;
    this.#starts.push(rawIndex);
    const tail = this.#tail;
    const open: number[] = [];
    for (const start of this.#open) {
      if (tail[start + position] !== character) continue;
      if (start + position + 1 === tail.length) this.#best = this.#best === null ? start : Math.min(this.#best, start);
      else open.push(start);
    }
    this.#open = open;
  }

  /**
   * Raw characters at the start of the continuation that repeat the sent text (the longest
   * complete match so far; call once `decided`, or when the continuation ends).
   */
  skip(): number {
    if (this.#best === null) return 0;
    const lastStart = this.#starts[this.#tail.length - this.#best - 1] ?? 0;
    if (!this.#tail.endsWith(" ")) return lastStart + 1;
    // The match ends in whitespace: keep the continuation's extra line breaks beyond the sent ones.
    let run = 0;
    while (lastStart + run < this.#text.length && whitespace.test(this.#text[lastStart + run] ?? "")) run++;
    return lastStart + Math.min(run, this.#tailSpace);
  }
}
