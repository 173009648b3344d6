/**
 * Seam stitching, property-style: for seeded random answers, cut points, repeats and chunkings,
 * the sent text plus what the seam releases is the uninterrupted answer, and the seam holds back
 * no more than the repeat needs.
 */
import { describe, expect, it } from "vitest";
import { OverlapMatcher } from "../../shared/resume/overlap.ts";
import { matchPreamble } from "../../shared/resume/preamble.ts";
import { Seam, insideCodeFence } from "../../shared/resume/stitch.ts";
import { randomInteger, randomItem, randomPieces, seededRandom } from "../helpers/random.ts";
import { answerText } from "./text.ts";

/** Feeds `continuation` to a seam in random pieces; the released text and the most it ever held. */
function stitch(sent: string, continuation: string, next: () => number): { released: string; mostHeld: number } {
  const seam = new Seam(sent);
  let released = "";
  let fed = 0;
  let mostHeld = 0;
  for (const piece of randomPieces(next, continuation, 30)) {
    released += seam.push(piece);
    fed += piece.length;
    mostHeld = Math.max(mostHeld, fed - released.length);
  }
  released += seam.finish();
  return { released, mostHeld };
}

/** `text` with its inner whitespace runs (not the one it ends with) replaced by other whitespace, as models do. */
function otherWhitespace(text: string, next: () => number): string {
  return text.replace(/\s+(?=\S)/g, () => randomItem(next, [" ", "  ", "\n", "\n\n", " \n"]));
}

/** The repeat a model would send: the last `length` characters of `sent`. */
function repeatOf(sent: string, length: number): string {
  return sent.slice(sent.length - Math.min(length, sent.length));
}

describe("Seam", () => {
  it("restores the answer for 400 random cuts, repeats of 0 or 10–200 characters (some with other whitespace) and chunkings", () => {
    for (let seed = 1; seed <= 400; seed++) {
      const next = seededRandom(seed);
      const full = answerText(next, randomInteger(next, 200, 1_500));
      const cut = randomInteger(next, 3, full.length);
      const sent = full.slice(0, cut);
      const repeat = next() < 0.3 ? 0 : randomInteger(next, 10, 200);
      const repeated = next() < 0.3 ? otherWhitespace(repeatOf(sent, repeat), next) : repeatOf(sent, repeat);
      const continuation = repeated + full.slice(cut);
      const { released, mostHeld } = stitch(sent, continuation, next);
      expect(sent + released, `seed ${seed}, cut ${cut}, repeat ${repeat}`).toBe(full);
      // Held back: the repeat itself and the few characters needed to see the new text differ.
      expect(mostHeld, `seed ${seed}`).toBeLessThanOrEqual(Math.min(repeat, cut) + 60);
    }
  });

  it("never eats legitimate text: every cut of an answer continued without repeat is exact", () => {
    const next = seededRandom(42);
    const full = answerText(next, 1_200);
    for (let cut = 1; cut < full.length; cut++) {
      const { released } = stitch(full.slice(0, cut), full.slice(cut), next);
      expect(full.slice(0, cut) + released, `cut ${cut}`).toBe(full);
    }
  });

  it("releases a continuation that does not repeat after a few characters", () => {
    const seam = new Seam("The quick brown fox jumps over the lazy dog and then");
    // " the" could still become a repeat of " the lazy dog and then".
    expect(seam.push(" the")).toBe("");
    expect(seam.push(" cat sleeps.")).toBe(" the cat sleeps.");
    expect(seam.push(" More.")).toBe(" More.");
  });

  it("keeps short repeats that are not at a word start (hel + lo), drops a restarted word (bro + brown)", () => {
    expect(stitch("He said hel", "lo there", seededRandom(1)).released).toBe("lo there");
    expect(stitch("The quick bro", "brown fox", seededRandom(1)).released).toBe("wn fox");
    expect(stitch("Say it ll", "ll be fine", seededRandom(1)).released).toBe("ll be fine");
  });

  it("tolerates other whitespace in the repeat and keeps the continuation's extra line break", () => {
    expect(stitch("First line of text.\nSecond", "First  line of text. Second line.", seededRandom(1)).released).toBe(" line.");
    expect(stitch("A paragraph that ends here.\n", "paragraph that ends here.\n\nNext one.", seededRandom(1)).released).toBe("\nNext one.");
    expect(stitch("A paragraph that ends here.", "A paragraph that ends here.\n\nNext one.", seededRandom(1)).released).toBe("\n\nNext one.");
  });

  it("drops a repeated last line", () => {
    const sent = "Intro.\n\n| a | b |\n|---|---|\n| one | tw";
    expect(stitch(sent, "| one | two |\n| three | four |", seededRandom(3)).released).toBe("o |\n| three | four |");
  });

  it("drops a preamble at the start of a continuation, then the repeat", () => {
    const sent = "The answer is forty-two because the computer said so";
    for (const preamble of ["Continuing from where I left off:\n", "Sure, here is the continuation:\n\n", "好的，继续。", "  Continuing where I left off... "]) {
      const { released } = stitch(sent, `${preamble}computer said so, and that settles it.`, seededRandom(5));
      expect(released, preamble).toBe(", and that settles it.");
    }
  });

  it("keeps text that only starts like a preamble", () => {
    expect(stitch("Step one is done.", " Continuing the loop, we add two.", seededRandom(2)).released).toBe(" Continuing the loop, we add two.");
    expect(stitch("Step one is done.", "Continue", seededRandom(2)).released).toBe("Continue");
  });

  it("inside an open code fence, drops a reopened fence (and the repeat after it); keeps a bare closing fence", () => {
    const sent = "Here:\n\n```python\ndef area(r):\n    return 3.14159 * r";
    expect(stitch(sent, "```python\ndef area(r):\n    return 3.14159 * r * r\n```", seededRandom(4)).released).toBe(" * r\n```");
    expect(stitch(sent, "```py\n * r * r\n```", seededRandom(4)).released).toBe(" * r\n```");
    expect(stitch("```js\nlet a = 1;\n", "```\n\nDone.", seededRandom(4)).released).toBe("```\n\nDone.");
    // Outside a fence a fence is just text.
    expect(stitch("Text.\n", "```js\nlet a;\n```", seededRandom(4)).released).toBe("```js\nlet a;\n```");
  });

  it("handles a cut inside a fence line", () => {
    const full = "Intro text here.\n\n```ts\nconst x = 1;\n```\n";
    const cut = full.indexOf("```ts") + 4;
    expect(full.slice(0, cut) + stitch(full.slice(0, cut), full.slice(cut - 12), seededRandom(9)).released).toBe(full);
  });

  it("releases everything at the end when the continuation is nothing but repeat", () => {
    const sent = "Everything that was to be said has been said.";
    expect(stitch(sent, "has been said.", seededRandom(1)).released).toBe("");
    expect(stitch(sent, "", seededRandom(1)).released).toBe("");
  });
});

describe("OverlapMatcher", () => {
  it("prefers the longest repeat and is undecided while a longer one is possible", () => {
    const matcher = new OverlapMatcher("alpha beta gamma delta epsilon");
    matcher.push("gamma delta eps");
    expect(matcher.decided).toBe(false);
    matcher.push("ilon zeta");
    expect(matcher.decided).toBe(true);
    expect(matcher.skip()).toBe("gamma delta epsilon".length);
  });

  it("decides at once when nothing can match", () => {
    const matcher = new OverlapMatcher("ab");
    expect(matcher.decided).toBe(true);
    expect(matcher.skip()).toBe(0);
  });
});

describe("matchPreamble", () => {
  it("waits while a preamble is possible and decides on the first character of the answer", () => {
    expect(matchPreamble("Contin", false)).toEqual({ kind: "undecided" });
    expect(matchPreamble("Continuing:", false)).toEqual({ kind: "undecided" });
    expect(matchPreamble("Continuing: x", false)).toEqual({ kind: "preamble", length: 12 });
    expect(matchPreamble("Contin", true)).toEqual({ kind: "none" });
    expect(matchPreamble("Hello", false)).toEqual({ kind: "none" });
  });
});

describe("insideCodeFence", () => {
  it("counts complete fence lines only", () => {
    expect(insideCodeFence("```js\ncode")).toBe(true);
    expect(insideCodeFence("```js\ncode\n```\n")).toBe(false);
    expect(insideCodeFence("text\n```t")).toBe(false);
  });
});
