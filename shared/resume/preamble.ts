/**
 * Preambles a model puts at the very start of a continuation ("Continuing from where I left
 * off:", "好的，继续。"), which the client must not see in the middle of its answer. A phrase
 * counts only when punctuation or a line break follows it, so an answer that merely begins with
 * the same words ("Continuing the loop, we …") is left alone.
 */

/** Known preambles, lower case, whitespace as single spaces. */
const phrases: readonly string[] = [
  "continuing from where i left off",
  "continuing from where we left off",
  "continuing where i left off",
  "continuing where we left off",
  "picking up where i left off",
  "here is the continuation",
  "here's the continuation",
  "here’s the continuation",
  "sure, continuing",
  "sure, here is the continuation",
  "okay, continuing",
  "ok, continuing",
  "continuing",
  "好的，继续",
  "好的，我继续",
  "好的,继续",
  "继续",
  "接着上文",
  "接上文",
];

const terminators = ":：.。,，!！…";
const whitespace = /\s/;

/** The preamble decision on the start of a continuation. */
export type PreambleMatch =
  /** More text is needed to tell. */
  | { kind: "undecided" }
  /** No preamble. */
  | { kind: "none" }
  /** The first `length` characters are a preamble (with its punctuation and the whitespace after it). */
  | { kind: "preamble"; length: number };

/** Matches `phrase` at `start` of `text` case-insensitively; -1 on mismatch, -2 when `text` ends first, else the end. */
function matchPhrase(text: string, start: number, phrase: string): number {
  let position = start;
  for (let index = 0; index < phrase.length; index++) {
    const expected = phrase[index] ?? "";
    if (expected === " ") {
      // One or more whitespace characters.
      if (position >= text.length) return -2;
      if (!whitespace.test(text[position] ?? "")) return -1;
      while (position < text.length && whitespace.test(text[position] ?? "")) position++;
      continue;
    }
    if (position >= text.length) return -2;
    if ((text[position] ?? "").toLowerCase() !== expected) return -1;
    position++;
  }
  return position;
}

/** The end of the terminator after a phrase ending at `end`: -1 when none follows, -2 when the text ends first. */
function matchTerminator(text: string, end: number, final: boolean): number {
  let position = end;
  while (position < text.length && (text[position] === " " || text[position] === "\t")) position++;
  if (position >= text.length) return final ? -1 : -2;
  const character = text[position] ?? "";
  if (!terminators.includes(character) && character !== "\n" && character !== "\r") return -1;
  while (position < text.length && (terminators.includes(text[position] ?? "") || whitespace.test(text[position] ?? ""))) position++;
  // Whitespace may still be arriving; wait for the first character of the answer proper.
  if (position >= text.length && !final) return -2;
  return position;
}

/** Looks for a preamble at the start of `text`; `final` when no more text will come. */
export function matchPreamble(text: string, final: boolean): PreambleMatch {
  let start = 0;
  while (start < text.length && whitespace.test(text[start] ?? "")) start++;
  if (start >= text.length) return final ? { kind: "none" } : { kind: "undecided" };
  let undecided = false;
  let longest = 0;
  for (const phrase of phrases) {
    const end = matchPhrase(text, start, phrase);
    if (end === -1) continue;
    if (end === -2) {
      undecided ||= !final;
      continue;
    }
    const stop = matchTerminator(text, end, final);
    if (stop === -2) undecided = true;
    else if (stop > longest) longest = stop;
  }
  if (undecided) return { kind: "undecided" };
  return longest > 0 ? { kind: "preamble", length: longest } : { kind: "none" };
}
