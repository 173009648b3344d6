/**
 * Seeded cut scenarios for resume tests: an answer, where and how the stream is cut, whether
 * thoughts are streamed, and how much of the sent text the continuation repeats. The same seed
 * gives the same case, so a failure names everything needed to reproduce it.
 */
import { continuingAnswer, type GeminiSimulator } from "../sim/index.ts";
import { randomInteger, randomItem, seededRandom } from "../helpers/random.ts";
import { answerText } from "./text.ts";

/** One cut scenario. */
export interface CutCase {
  seed: number;
  full: string;
  /** Visible characters before the cut. */
  cut: number;
  mode: "close" | "reset" | "stall";
  thoughts: boolean;
  /** Characters of the sent text the continuation repeats: 0, or 10–200 (shorter repeats are indistinguishable from text; see overlap.ts). */
  repeat: number;
}

/** The scenario for `seed`; `modes` limits the cut modes. */
export function cutCase(seed: number, modes: readonly CutCase["mode"][] = ["close", "reset", "stall"]): CutCase {
  const next = seededRandom(seed);
  const full = answerText(next, randomInteger(next, 150, 700));
  const cut = randomInteger(next, 0, full.length - 1);
  const repeat = next() < 0.3 || cut < 3 ? 0 : randomInteger(next, 10, 200);
  return { seed, full, cut, mode: randomItem(next, modes), thoughts: next() < 0.5, repeat };
}

/** A label naming the case. */
export function describeCase(cutCase: CutCase): string {
  const { seed, cut, mode, thoughts, repeat } = cutCase;
  return `seed ${seed} (cut ${cut}/${cutCase.full.length}, ${mode}, repeat ${repeat}${thoughts ? ", thoughts" : ""})`;
}

/** Arms the simulator: the answer that continues with the repeat, and the cut on the next request. */
export function armCase(sim: GeminiSimulator, cutCase: CutCase, model?: string): void {
  sim.setAnswer(continuingAnswer(cutCase.full, { repeat: cutCase.repeat }));
  sim.enqueue({ kind: "cut", afterChars: cutCase.cut, mode: cutCase.mode }, model === undefined ? {} : { model });
}
