/**
 * The chaos suite's random fault mix, queued in the simulator before requests, and the count of
 * what the simulator really applied (a queued fault is consumed by the next matching attempt).
 */
import { randomInteger, randomItem } from "../helpers/random.ts";
import { quotaDayError, rateLimitMinuteError, userLocationError, type Fault, type FaultMatch, type GeminiSimulator, type RecordedRequest } from "../sim/index.ts";
import { chaosModel } from "./client.ts";
import { limitedRetryDelay } from "./setup.ts";

/** Where the faults that only make sense for some keys or one hop are aimed. */
export interface FaultAims {
  /**
   * Keys that get per-minute 429s. Not the per-day key: the Store keeps the cooldown written last
   * for a key and model even when it is shorter (shared/store/sql.ts setCooldown), so a
   * per-minute 429 in flight beside the per-day one could cut the per-day cooldown short.
   */
  healthyKeys: readonly string[];
  /**
   * The key that gets per-day 429s. A per-day cooldown lasts until midnight Pacific, so spread
   * over the pool they would soon leave no key for the rest of the run.
   */
  dailyKey: string;
  /** The hop (one relay's) that gets location refusals; null: any attempt (the self-host's one egress). */
  refusedHop: string | null;
}

interface Recipe {
  label: string;
  weight: number;
  make(next: () => number): Fault;
  /** Which attempts it may hit (default: any). */
  aim?(aims: FaultAims, next: () => number): FaultMatch;
  /**
   * At most one such fault waits in the queue at a time: aimed faults wait for their key or hop,
   * and per-minute 429s queued faster than cooled keys come back would keep the pool empty.
   */
  single?: boolean;
}

const afterChars = (next: () => number) => randomInteger(next, 5, 155);

const recipes: readonly Recipe[] = [
  { label: "cut (close)", weight: 2, make: (next) => ({ kind: "cut", afterChars: afterChars(next), mode: "close" }) },
  { label: "cut (reset)", weight: 2, make: (next) => ({ kind: "cut", afterChars: afterChars(next), mode: "reset" }) },
  { label: "cut (stall)", weight: 1, make: (next) => ({ kind: "cut", afterChars: afterChars(next), mode: "stall" }) },
  { label: "error in stream", weight: 2, make: (next) => ({ kind: "error-in-stream", afterChars: afterChars(next) }) },
  { label: "empty STOP", weight: 1, make: () => ({ kind: "empty-stop" }) },
  { label: "no finishReason", weight: 1, make: () => ({ kind: "no-finish" }) },
  { label: "HTTP 503 overloaded", weight: 2, make: () => ({ kind: "http-error", status: 503 }) },
  { label: "HTTP 500 internal", weight: 1, make: () => ({ kind: "http-error", status: 500 }) },
  { label: "slow first byte", weight: 1, make: (next) => ({ kind: "first-byte-delay", ms: randomInteger(next, 50, 250) }) },
  { label: "reset before status", weight: 1, make: () => ({ kind: "hangup" }) },
  {
    // One RetryInfo for all: two 429s in flight on one key then never leave the shorter cooldown last (see FaultAims).
    label: "429 per-minute + RetryInfo",
    weight: 1,
    make: () => ({ kind: "http-error", status: 429, body: rateLimitMinuteError(chaosModel, "1s").body }),
    aim: (aims, next) => ({ key: randomItem(next, aims.healthyKeys) }),
    single: true,
  },
  {
    label: "429 per-day",
    weight: 1,
    make: () => ({ kind: "http-error", status: 429, body: quotaDayError(chaosModel).body }),
    aim: (aims) => ({ key: aims.dailyKey }),
    single: true,
  },
  {
    label: "location refused",
    weight: 1,
    make: () => ({ kind: "http-error", status: 400, body: userLocationError().body }),
    aim: (aims) => (aims.refusedHop === null ? {} : { hop: aims.refusedHop }),
    single: true,
  },
];

const totalWeight = recipes.reduce((sum, recipe) => sum + recipe.weight, 0);

function pick(next: () => number): Recipe {
  let draw = next() * totalWeight;
  for (const recipe of recipes) {
    draw -= recipe.weight;
    if (draw < 0) return recipe;
  }
  return recipes[recipes.length - 1]!;
}

/** Whether an attempt got a location refusal: a relay fault, never counted for its key. */
export function locationRefused(request: RecordedRequest): boolean {
  return request.behaviour === "location" || (request.fault?.kind === "http-error" && /user location/i.test(JSON.stringify(request.fault.body)));
}

/** Queues random faults into a simulator and counts the ones it applied. */
export class FaultMix {
  readonly #labels = new Map<Fault, string>();
  /** The last fault of each `single` recipe (waiting while no attempt has consumed it). */
  readonly #waiting = new Map<string, Fault>();

  constructor(
    private readonly sim: GeminiSimulator,
    private readonly aims: FaultAims,
    private readonly next: () => number,
  ) {}

  /** With probability `rate`, queues one fault drawn from the mix. */
  inject(rate: number): void {
    if (this.next() >= rate) return;
    const recipe = pick(this.next);
    const fault = recipe.make(this.next);
    if (recipe.single) {
      const waiting = this.#waiting.get(recipe.label);
      if (waiting && !this.sim.requests.some((request) => request.fault === waiting)) return;
      this.#waiting.set(recipe.label, fault);
    }
    this.#labels.set(fault, recipe.label);
    this.sim.enqueue(fault, recipe.aim?.(this.aims, this.next) ?? {});
  }

  /** The label of the fault `request` consumed, or of the key behaviour that answered it. */
  labelOf(request: RecordedRequest): string | null {
    if (request.fault) return this.#labels.get(request.fault) ?? null;
    if (request.behaviour === "invalid") return "invalid key";
    if (request.behaviour === "rate-limit-minute") return `rate-limited key (429, RetryInfo ${limitedRetryDelay})`;
    return null;
  }

  /** Faults and key behaviours the simulator applied so far, by label. */
  applied(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const request of this.sim.requests) {
      const label = this.labelOf(request);
      if (label !== null) counts[label] = (counts[label] ?? 0) + 1;
    }
    return counts;
  }
}
