/**
 * Fake API keys: which exist, how each behaves (per model and per hop), optional request limits,
 * and how many requests each has received — the data budget and routing tests assert on.
 */
import { randomBytes } from "node:crypto";
import { stripModelsPrefix } from "./models.ts";
import type { BehaviourScope, KeyBehaviour, KeyLimits, KeyUsage } from "./types.ts";

/** A behaviour rule; the most specific matching rule wins, the latest among equals. */
interface Rule {
  behaviour: KeyBehaviour;
  model?: string;
  hop?: string;
  retryDelay?: string;
}

/** The outcome of checking a key for one request. */
export type KeyVerdict =
  | { kind: "missing" }
  | { kind: "unknown" }
  | { kind: "ok" }
  | { kind: "refused"; behaviour: Exclude<KeyBehaviour, "ok">; retryDelay?: string; /** The configured limit that was hit (reported as `quotaValue`). */ limit?: number };

/** Behaviours that refuse every request, model listing included; the others only hit quota-consuming requests. */
const alwaysApplied: ReadonlySet<KeyBehaviour> = new Set(["invalid", "suspended", "location"]);

const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/** A random key shaped like a real one: "AIzaSim" + 32 characters of [A-Za-z0-9_-], 39 in all. */
export function randomKey(): string {
  const bytes = randomBytes(32);
  let key = "AIzaSim";
  for (const byte of bytes) key += keyAlphabet[byte % keyAlphabet.length];
  return key;
}

/** Key and hop state of one simulator. */
export class KeyRegistry {
  readonly #rules = new Map<string, Rule[]>();
  readonly #hopRules = new Map<string, Rule[]>();
  readonly #limits = new Map<string, KeyLimits>();
  /** key → model → arrival times. */
  readonly #arrivals = new Map<string, Map<string, number[]>>();

  constructor(private readonly now: () => number) {}

  /** Registers a new random key. */
  create(behaviour: KeyBehaviour = "ok"): string {
    const key = randomKey();
    this.#rules.set(key, [{ behaviour }]);
    return key;
  }

  /** Whether the key was registered. */
  has(key: string): boolean {
    return this.#rules.has(key);
  }

  /** Every registered key. */
  keys(): string[] {
    return [...this.#rules.keys()];
  }

  /**
   * Sets how `key` behaves (registering it if new). Without a model or hop the behaviour applies
   * to everything and replaces all earlier rules of the key; with one, it adds a narrower rule.
   */
  set(key: string, behaviour: KeyBehaviour, scope: BehaviourScope = {}): void {
    const rule = toRule(behaviour, scope);
    const rules = this.#rules.get(key) ?? [];
    if (rule.model === undefined && rule.hop === undefined) this.#rules.set(key, [rule]);
    else this.#rules.set(key, [...rules.filter((old) => !sameScope(old, rule)), rule]);
  }

  /** Makes every request through `hop` behave so (e.g. `location` for an egress in a refused region). `ok` clears. */
  setHop(hop: string, behaviour: KeyBehaviour, scope: Omit<BehaviourScope, "hop"> = {}): void {
    const rule = toRule(behaviour, scope);
    const rules = (this.#hopRules.get(hop) ?? []).filter((old) => !sameScope(old, rule));
    if (behaviour === "ok" && rule.model === undefined) this.#hopRules.delete(hop);
    else this.#hopRules.set(hop, [...rules, rule]);
  }

  /** Enforces request limits on a key (per model), answering 429 once exceeded. */
  setLimits(key: string, limits: KeyLimits): void {
    this.#limits.set(key, limits);
  }

  /**
   * First check of every request: is there a key, is it known, and is it (or the hop) refused
   * outright (`invalid`, `suspended`, `location`)?
   */
  authenticate(key: string | null, model: string | null, hop: string | null): KeyVerdict {
    if (key === null || key === "") return { kind: "missing" };
    const rules = this.#rules.get(key);
    if (!rules) return { kind: "unknown" };
    const bare = model === null ? null : stripModelsPrefix(model);
    const keyRule = mostSpecific(rules, bare, hop);
    if (keyRule && alwaysApplied.has(keyRule.behaviour)) return refused(keyRule);
    const hopRule = this.#hopRule(hop, bare);
    if (hopRule && alwaysApplied.has(hopRule.behaviour)) return refused(hopRule);
    return { kind: "ok" };
  }

  /**
   * Second check, for quota-consuming requests to an existing model: counts the request, then
   * applies the quota behaviours (`rate-limit-minute`, `quota-day`, `limit-zero`, `overload`)
   * of the hop and the key, then the key's limits.
   */
  admit(key: string, model: string, hop: string | null): KeyVerdict {
    const bare = stripModelsPrefix(model);
    const limited = this.#limitVerdict(key, bare);
    this.#record(key, bare);
    const hopRule = this.#hopRule(hop, bare);
    if (hopRule && hopRule.behaviour !== "ok") return refused(hopRule);
    const keyRule = mostSpecific(this.#rules.get(key) ?? [], bare, hop);
    if (keyRule && keyRule.behaviour !== "ok") return refused(keyRule);
    return limited ?? { kind: "ok" };
  }

  #hopRule(hop: string | null, model: string | null): Rule | undefined {
    return hop === null ? undefined : mostSpecific(this.#hopRules.get(hop) ?? [], model, null);
  }

  #limitVerdict(key: string, model: string): KeyVerdict | null {
    const limits = this.#limits.get(key);
    if (!limits) return null;
    const times = this.#arrivals.get(key)?.get(model) ?? [];
    const now = this.now();
    if (limits.requestsPerDay !== undefined && times.filter((at) => at > now - 86_400_000).length >= limits.requestsPerDay) {
      return { kind: "refused", behaviour: "quota-day", limit: limits.requestsPerDay };
    }
    const lastMinute = times.filter((at) => at > now - 60_000);
    if (limits.requestsPerMinute !== undefined && lastMinute.length >= limits.requestsPerMinute) {
      // The window frees a slot when the oldest request in it turns a minute old.
      const oldest = lastMinute[lastMinute.length - limits.requestsPerMinute] ?? now;
      const seconds = Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000));
      return { kind: "refused", behaviour: "rate-limit-minute", retryDelay: `${seconds}s`, limit: limits.requestsPerMinute };
    }
    return null;
  }

  #record(key: string, model: string): void {
    const byModel = this.#arrivals.get(key) ?? new Map<string, number[]>();
    this.#arrivals.set(key, byModel);
    const times = byModel.get(model) ?? [];
    byModel.set(model, times);
    times.push(this.now());
  }

  /** Quota-consuming requests per key within the last `windowMs` (default 60 s), optionally for one model. */
  counts(windowMs = 60_000, model?: string): Record<string, number> {
    const since = this.now() - windowMs;
    const counts: Record<string, number> = {};
    for (const [key, byModel] of this.#arrivals) {
      let count = 0;
      for (const [name, times] of byModel) {
        if (model === undefined || name === stripModelsPrefix(model)) count += times.filter((at) => at > since).length;
      }
      counts[key] = count;
    }
    return counts;
  }

  /** Totals, last minute and peak-per-minute of one key. */
  usage(key: string): KeyUsage {
    const byModel: Record<string, number> = {};
    const all: number[] = [];
    for (const [model, times] of this.#arrivals.get(key) ?? []) {
      byModel[model] = times.length;
      all.push(...times);
    }
    all.sort((a, b) => a - b);
    const since = this.now() - 60_000;
    let peak = 0;
    for (let start = 0, end = 0; end < all.length; end++) {
      while (all[end]! - all[start]! >= 60_000) start++;
      peak = Math.max(peak, end - start + 1);
    }
    return { total: all.length, lastMinute: all.filter((at) => at > since).length, peakPerMinute: peak, byModel };
  }

  /** Forgets request counts and hop rules; with `keys`, also every key, rule and limit. */
  reset(keys: boolean): void {
    this.#arrivals.clear();
    this.#hopRules.clear();
    if (keys) {
      this.#rules.clear();
      this.#limits.clear();
    }
  }
}

function toRule(behaviour: KeyBehaviour, scope: BehaviourScope): Rule {
  const rule: Rule = { behaviour };
  if (scope.model !== undefined) rule.model = stripModelsPrefix(scope.model);
  if (scope.hop !== undefined) rule.hop = scope.hop;
  if (scope.retryDelay !== undefined) rule.retryDelay = scope.retryDelay;
  return rule;
}

function sameScope(a: Rule, b: Rule): boolean {
  return a.model === b.model && a.hop === b.hop;
}

function mostSpecific(rules: readonly Rule[], model: string | null, hop: string | null): Rule | undefined {
  let best: Rule | undefined;
  let bestScore = -1;
  for (const rule of rules) {
    if (rule.model !== undefined && rule.model !== model) continue;
    if (rule.hop !== undefined && rule.hop !== hop) continue;
    const score = (rule.model !== undefined ? 1 : 0) + (rule.hop !== undefined ? 2 : 0);
    if (score >= bestScore) {
      best = rule;
      bestScore = score;
    }
  }
  return best;
}

function refused(rule: Rule): KeyVerdict {
  const behaviour = rule.behaviour;
  if (behaviour === "ok") return { kind: "ok" };
  return rule.retryDelay === undefined ? { kind: "refused", behaviour } : { kind: "refused", behaviour, retryDelay: rule.retryDelay };
}
