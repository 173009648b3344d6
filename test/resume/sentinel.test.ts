/** Sentinel mode's stripper: the marker never reaches the client, at any chunk split. */
import { describe, expect, it } from "vitest";
import { SentinelStripper, sentinelMarker } from "../../shared/resume/sentinel.ts";
import { randomPieces, seededRandom } from "../helpers/random.ts";

function strip(pieces: string[]): { text: string; seen: boolean } {
  const stripper = new SentinelStripper();
  let text = "";
  for (const piece of pieces) text += stripper.push(piece);
  text += stripper.finish();
  return { text, seen: stripper.seen };
}

describe("SentinelStripper", () => {
  it("removes the marker and the whitespace before it at every split point", () => {
    const answer = "The answer is complete, with [brackets] and [do not] confusion.";
    const wire = `${answer}\n\n${sentinelMarker}`;
    for (let seed = 1; seed <= 200; seed++) {
      const result = strip(randomPieces(seededRandom(seed), wire, 8));
      expect(result, `seed ${seed}`).toEqual({ text: answer, seen: true });
    }
  });

  it("holds back only what could be the marker's start", () => {
    const stripper = new SentinelStripper();
    expect(stripper.push("Hello [")).toBe("Hello");
    expect(stripper.push("x] world")).toBe(" [x] world");
    expect(stripper.push(" [do")).toBe("");
    expect(stripper.push("g]")).toBe(" [dog]");
  });

  it("gives back an unfinished marker at the end as text, and reports the marker missing", () => {
    expect(strip(["Cut at [do"])).toEqual({ text: "Cut at [do", seen: false });
    expect(strip(["Plain answer.  "])).toEqual({ text: "Plain answer.  ", seen: false });
  });
});
