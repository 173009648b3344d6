/**
 * Strategies for choosing among healthy candidates, used for keys and relays alike:
 * round-robin (default), random, least-used, weighted (smooth weighted round-robin, as nginx).
 */

/** Names accepted in the manifest and in ROUTING_*_STRATEGY. */
export const strategyNames = ["round-robin", "random", "least-used", "weighted"] as const;
export type StrategyName = (typeof strategyNames)[number];

/** Something that can be chosen: a key or a relay. */
export interface Candidate {
  id: string;
  /** Relative share for `weighted`; 1 when absent. */
  weight?: number;
}

/** Picks one candidate per call; keeps whatever memory the strategy needs between calls. */
export interface Picker {
  pick<T extends Candidate>(candidates: readonly T[]): T | undefined;
}

class RoundRobinPicker implements Picker {
  private counter = 0;
  pick<T extends Candidate>(candidates: readonly T[]): T | undefined {
    if (candidates.length === 0) return undefined;
    const chosen = candidates[this.counter % candidates.length];
    this.counter = (this.counter + 1) % Number.MAX_SAFE_INTEGER;
    return chosen;
  }
}

class RandomPicker implements Picker {
  pick<T extends Candidate>(candidates: readonly T[]): T | undefined {
    return candidates[Math.floor(Math.random() * candidates.length)];
  }
}

class LeastUsedPicker implements Picker {
  private readonly uses = new Map<string, number>();
  pick<T extends Candidate>(candidates: readonly T[]): T | undefined {
    let chosen: T | undefined;
    let fewest = Infinity;
    for (const candidate of candidates) {
      const uses = this.uses.get(candidate.id) ?? 0;
      if (uses < fewest) [chosen, fewest] = [candidate, uses];
    }
    if (chosen) this.uses.set(chosen.id, fewest + 1);
    return chosen;
  }
}

/** Smooth weighted round-robin: spreads picks evenly in proportion to the weights. */
class WeightedPicker implements Picker {
  private readonly current = new Map<string, number>();
  pick<T extends Candidate>(candidates: readonly T[]): T | undefined {
    let total = 0;
    let chosen: T | undefined;
    let best = -Infinity;
    for (const candidate of candidates) {
      const weight = Math.max(candidate.weight ?? 1, 0);
      total += weight;
      const value = (this.current.get(candidate.id) ?? 0) + weight;
      this.current.set(candidate.id, value);
      if (value > best) [chosen, best] = [candidate, value];
    }
    if (chosen) this.current.set(chosen.id, best - total);
    return chosen;
  }
}

/** A new picker with its own memory. */
export function createPicker(name: StrategyName): Picker {
  switch (name) {
    case "round-robin":
      return new RoundRobinPicker();
    case "random":
      return new RandomPicker();
    case "least-used":
      return new LeastUsedPicker();
    case "weighted":
      return new WeightedPicker();
  }
}
