/**
 * Where budget spending is counted. One process (self-host on SQLite): this process's ledger, which
 * is exact. Several instances (self-host on Redis) or several isolates (Cloudflare): a counter they
 * share — Redis or the PoolState Durable Object — so that together they never send a key more than
 * its budget. The platform entry injects the shared one.
 */
import type { BudgetLimits } from "./budget-policy.ts";
import { BudgetLedger, type Spent } from "./ledger.ts";

/** A unit's spending for one model as the status page shows it. */
export interface BudgetReading extends Spent {
  /** `now` when a request fits, else the epoch ms of the next slot. */
  nextSlot: number;
}

/** Counts requests and input tokens per (unit, model); every method is atomic across its users. */
export interface BudgetCounter {
  /** Counts one request when it fits `limits` and returns `now`; else counts nothing and returns the epoch ms of the next slot. */
  reserve(unit: string, model: string, limits: BudgetLimits, now: number): Promise<number>;
  /** Counts the input tokens of a finished request. */
  spendTokens(unit: string, model: string, count: number, now: number): Promise<void>;
  read(unit: string, model: string, limits: BudgetLimits, now: number): Promise<BudgetReading>;
  /** Models with counters, for the status page. */
  models(): Promise<string[]>;
}

/** The calls of a {@link BudgetCounter}, for counters reached over RPC (the Durable Object). */
export type BudgetMethod = keyof BudgetCounter;

/** A counter over `ledger`, in this isolate or process. */
export function ledgerCounter(ledger: BudgetLedger = new BudgetLedger()): BudgetCounter {
  return {
    reserve: async (unit, model, limits, now) => ledger.reserve(unit, model, limits, now),
    spendTokens: async (unit, model, count, now) => ledger.spendTokens(unit, model, count, now),
    read: async (unit, model, limits, now) => ({ ...ledger.spent(unit, model, now), nextSlot: ledger.nextSlot(unit, model, limits, now) }),
    models: async () => ledger.models(),
  };
}

/** The counter's methods, for a counter reached over RPC (store/remote.ts: remoteProxy, dispatchCall). */
export const budgetMethods: readonly BudgetMethod[] = ["reserve", "spendTokens", "read", "models"];
