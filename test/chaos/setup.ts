/** The simulator, its key pool and the answers of a chaos run. */
import { seededRandom } from "../helpers/random.ts";
import { GeminiSimulator } from "../sim/index.ts";

/** The pool of a chaos run: which key plays which part. */
export interface ChaosKeys {
  /** Every key, as the target's pool gets them. */
  all: string[];
  /** Keys that answer normally (but for the random faults). */
  healthy: string[];
  /** Healthy until the per-day 429 aimed at it (faults.ts); then cooling until midnight Pacific. */
  daily: string;
  /** Always answers 429 with a RetryInfo of {@link limitedRetryDelay}: cooling for the whole run once hit. */
  limited: string;
  /** Answers 400 API_KEY_INVALID: disabled once hit. */
  invalid: string;
}

/** The rate-limited key's RetryInfo: longer than any run, so its cooldown is certain to outlive a restart. */
export const limitedRetryDelay = "600s";

/** A simulator with the chaos pool: five healthy keys, one for per-day 429s, one rate-limited, one invalid. */
export async function startChaosSimulator(): Promise<{ sim: GeminiSimulator; keys: ChaosKeys }> {
  const sim = await GeminiSimulator.start({ chunkChars: 16 });
  const healthy = sim.createKeys(5);
  const daily = sim.createKey();
  const limited = sim.createKey();
  const invalid = sim.createKey("invalid");
  sim.setKeyBehaviour(limited, "rate-limit-minute", { retryDelay: limitedRetryDelay });
  return { sim, keys: { all: [...healthy, daily, limited, invalid], healthy, daily, limited, invalid } };
}

const words = ["relay", "stream", "token", "quota", "region", "signal", "answer", "resume", "model", "worker", "egress", "cache"];

/** The whole answer the simulated model gives to prompt `chaos <n>`: a few hundred characters. */
export function answerFor(prompt: string): string {
  const next = seededRandom(Number(/(\d+)/.exec(prompt)?.[1] ?? 0) + 1);
  const sentences: string[] = [];
  for (let sentence = 0; sentence < 6 + Math.floor(next() * 6); sentence++) {
    const length = 6 + Math.floor(next() * 8);
    sentences.push(Array.from({ length }, () => words[Math.floor(next() * words.length)]).join(" ") + ".");
  }
  return `Answer to ${prompt}: ${sentences.join(" ")}`;
}
