/**
 * Budgets as the scheduler uses them: which keys may take one more request for a model now, the
 * key weights, spending, and the status view (remaining budget per key, pool capacity per model).
 */
import { BoundedMap } from "../bounded-map.ts";
import { poolKeyId } from "../keys/identity.ts";
import type { KeyMetadataTable } from "../policy/key-metadata.ts";
import type { SettingDocument } from "../policy/setting.ts";
import type { ReportedLimits } from "../gemini/classify.ts";
import { limitsFor, type BudgetLimits, type BudgetPolicy, type LearnedLimits } from "./budget-policy.ts";
import { ledgerCounter, type BudgetCounter } from "./counter.ts";

/** One scheduling decision's view of the budgets. */
export interface Admission {
  /** False when `key` is known to have no budget left for the model now (a cheap pre-filter). */
  allows(key: string): boolean;
  /** Counts a request on `key` when its budget has room, atomically across every user of the counter; false when it has none. */
  claim(key: string): Promise<boolean>;
  /** The key's weight from its metadata (1 when unset). */
  weightOf(key: string): number;
  /** When the first of `keys` gets a slot (epoch ms); Infinity when never. */
  soonest(keys: readonly string[]): number;
}

/** A key's budget for one model, as the status page shows it. */
export interface KeyBudget {
  id: string;
  group: string;
  limits: BudgetLimits;
  spentMinute: number;
  spentDay: number;
  /** Input tokens of the last minute (counted when requests finish). */
  tokensMinute: number;
  /** Epoch ms when the key can take a request again; null when it can now. */
  blockedUntil: number | null;
}

/** A model's pool capacity: the sum of the distinct groups' limits. */
export interface ModelCapacity {
  model: string;
  /** Distinct quota groups among active keys. */
  groups: number;
  requestsPerMinute: number | null;
  requestsPerDay: number | null;
  remainingPerMinute: number | null;
  remainingPerDay: number | null;
  /** e.g. `5 keys × 10 RPM = 50 RPM`. */
  summary: string;
  keys: KeyBudget[];
}

/** The ledger unit of a key: its group when it has one (the group shares one Google project's quota), else the key. */
function unitOf(id: string, metadata: KeyMetadataTable): string {
  const group = metadata[id]?.group;
  return group === undefined ? `key:${id}` : `group:${group}`;
}

/** How many counted (not explicitly budgeted) models the status page shows, most recent first. */
const shownCountedModels = 20;

/** Budgets of an app: settings documents plus the counter (this isolate's, or one shared by every instance). */
export class Budgets {
  /** Counts here when there is no shared counter, and while the shared one is unreachable. */
  private readonly local = ledgerCounter();
  /** unit × model × limits → the next slot a refused claim reported: keys of that unit are skipped until then. */
  private readonly blocked = new BoundedMap<string, number>(1_000);

  constructor(
    readonly policy: SettingDocument<BudgetPolicy>,
    readonly metadata: SettingDocument<KeyMetadataTable>,
    readonly learned: SettingDocument<LearnedLimits>,
    private readonly clock: () => number,
    private readonly shared?: BudgetCounter,
    private readonly log: (entry: Record<string, unknown>) => void = () => undefined,
  ) {}

  /** Runs `use` on the shared counter, or on the local one when there is none or it fails. */
  private async counted<T>(use: (counter: BudgetCounter) => Promise<T>): Promise<T> {
    if (this.shared === undefined) return use(this.local);
    try {
      return await use(this.shared);
    } catch (error) {
      this.log({ level: "warn", event: "budget.shared_counter_failed", message: error instanceof Error ? error.message : String(error) });
      return use(this.local);
    }
  }

  /** Loads what a decision over `keys` for `model` needs (ids, documents). */
  async admission(keys: readonly string[], model: string): Promise<Admission> {
    const [policy, metadata, learned] = await Promise.all([this.policy.current(), this.metadata.current(), this.learned.current()]);
    const budgeted = policy.enabled && model !== "*";
    if (!budgeted && Object.keys(metadata).length === 0) {
      // The common case costs nothing per key: no budgets to check, no weights to look up.
      return { allows: () => true, claim: async () => true, weightOf: () => 1, soonest: () => this.clock() };
    }
    const ids = await Promise.all(keys.map(poolKeyId));
    const byKey = new Map(keys.map((key, index) => [key, ids[index] ?? ""]));
    const budgetOf = (key: string): { unit: string; limits: BudgetLimits } => {
      const id = byKey.get(key) ?? "";
      const unit = unitOf(id, metadata);
      return { unit, limits: limitsFor(policy, id, metadata[id]?.group, model, learned[unit]?.[model]) };
    };
    // A hint holds only for the limits it was learnt under: a policy change starts afresh.
    const hintName = ({ unit, limits }: { unit: string; limits: BudgetLimits }) => `${unit}\u0000${model}\u0000${JSON.stringify(limits)}`;
    const blockedUntil = (key: string): number => {
      const name = hintName(budgetOf(key));
      const until = this.blocked.get(name) ?? 0;
      if (until > 0 && until <= this.clock()) this.blocked.delete(name);
      return until;
    };
    return {
      allows: (key) => !budgeted || blockedUntil(key) <= this.clock(),
      claim: async (key) => {
        if (!budgeted) return true;
        const budget = budgetOf(key);
        const now = this.clock();
        const slot = await this.counted((counter) => counter.reserve(budget.unit, model, budget.limits, now));
        if (slot <= now) return true;
        this.blocked.set(hintName(budget), slot);
        return false;
      },
      weightOf: (key) => metadata[byKey.get(key) ?? ""]?.weight ?? 1,
      soonest: (candidates) => Math.min(...candidates.map((key) => Math.max(this.clock(), blockedUntil(key)))),
    };
  }

  /** Remembers the limits a 429 for `key` (a pool key) and `model` named, when they differ from what is known. */
  async learn(key: string, model: string, reported: ReportedLimits): Promise<void> {
    const [metadata, learned, id] = await Promise.all([this.metadata.current(), this.learned.current(), poolKeyId(key)]);
    const unit = unitOf(id, metadata);
    const knows = (table: LearnedLimits) => Object.entries(reported).every(([field, value]) => table[unit]?.[model]?.[field as keyof BudgetLimits] === value);
    // This isolate's copy answers the common case (nothing new) without a Store round trip.
    if (knows(learned)) return;
    let merged: BudgetLimits | null = null;
    // Atomic against other isolates learning other limits at the same moment.
    await this.learned.update((stored) => {
      if (knows(stored)) return stored;
      merged = { ...stored[unit]?.[model], ...reported };
      return { ...stored, [unit]: { ...stored[unit], [model]: merged } };
    });
    if (merged === null) return;
    this.log({ level: "info", event: "budget.learned", unit: unit.startsWith("key:") ? `key ${id}` : unit, model, limits: merged });
  }

  /** Counts the input tokens of a finished request on `key` (a pool key) for the per-minute token budget. */
  async spendTokens(key: string, model: string, tokens: number): Promise<void> {
    if (tokens <= 0 || model === "*") return;
    const [policy, metadata, id] = await Promise.all([this.policy.current(), this.metadata.current(), poolKeyId(key)]);
    if (!policy.enabled) return;
    const now = this.clock();
    await this.counted((counter) => counter.spendTokens(unitOf(id, metadata), model, tokens, now));
  }

  /** Capacity and remaining budget per model over the active `keys` (status page and console). */
  async capacity(keys: readonly string[], models: readonly string[]): Promise<ModelCapacity[]> {
    const [policy, metadata, learned, ids] = await Promise.all([this.policy.current(), this.metadata.current(), this.learned.current(), Promise.all(keys.map(poolKeyId))]);
    const now = this.clock();
    return Promise.all(models.map(async (model) => {
      const perKey: KeyBudget[] = await Promise.all(ids.map(async (id) => {
        const group = metadata[id]?.group;
        const unit = unitOf(id, metadata);
        const limits = limitsFor(policy, id, group, model, learned[unit]?.[model]);
        const reading = await this.counted((counter) => counter.read(unit, model, limits, now));
        const slot = reading.nextSlot;
        return { id, group: group ?? id, limits, spentMinute: reading.minute, spentDay: reading.day, tokensMinute: reading.tokensMinute, blockedUntil: policy.enabled && slot > now ? slot : null };
      }));
      const groups = new Map(perKey.map((entry) => [entry.group, entry]));
      const sum = (pick: (entry: KeyBudget) => number | undefined): number | null => {
        let total = 0;
        for (const entry of groups.values()) {
          const value = pick(entry);
          if (value === undefined) return null;
          total += value;
        }
        return total;
      };
      const requestsPerMinute = sum((entry) => entry.limits.rpm);
      const requestsPerDay = sum((entry) => entry.limits.rpd);
      const rpms = new Set([...groups.values()].map((entry) => entry.limits.rpm));
      const summary =
        requestsPerMinute === null
          ? `${groups.size} groups, no per-minute limit`
          : rpms.size === 1
            ? `${groups.size} ${groups.size === 1 ? "key" : "keys"} × ${[...rpms][0]} RPM = ${requestsPerMinute} RPM`
            : `${groups.size} keys, ${requestsPerMinute} RPM in total`;
      return {
        model,
        groups: groups.size,
        requestsPerMinute,
        requestsPerDay,
        remainingPerMinute: sum((entry) => (entry.limits.rpm === undefined ? undefined : Math.max(0, entry.limits.rpm - entry.spentMinute))),
        remainingPerDay: sum((entry) => (entry.limits.rpd === undefined ? undefined : Math.max(0, entry.limits.rpd - entry.spentDay))),
        summary,
        keys: perKey,
      };
    }));
  }

  /** Models worth showing: explicitly budgeted ones and those with counters. */
  async shownModels(): Promise<string[]> {
    const policy = await this.policy.current();
    const named = [policy.limits, ...Object.values(policy.groups), ...Object.values(policy.keys)].flatMap((table) => Object.keys(table));
    // Counted models are as many as clients tried: the most recent few are enough to see spending.
    const counted = (await this.counted((counter) => counter.models())).slice(0, shownCountedModels);
    return [...new Set([...named.filter((model) => !model.includes("*")), ...counted])].sort();
  }
}
