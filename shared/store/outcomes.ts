/**
 * Folding a batch of key outcomes into one change per key, shared by every driver so that they
 * agree on the rules. Outcomes may arrive late and out of order (Cloudflare isolates report in
 * the background), so the rules are order-independent: counters add up, `lastUsedAt` only moves
 * forward, and `lastError` comes from the latest failure by `at`.
 */

import type { KeyOutcome } from "./store.ts";

/** The combined effect of a batch of outcomes on one key. */
export interface KeyOutcomeTotal {
  key: string;
  requests: number;
  failures: number;
  /** The latest `at` of the batch for this key. */
  lastUsedAt: number;
  /** The `at` of the latest failure, or null when every outcome was ok. */
  lastFailureAt: number | null;
  /** The error of that latest failure (null when it had none or there was no failure). */
  lastError: string | null;
}

/**
 * Combines outcomes per key, in order of first appearance. Among failures with the same `at`,
 * the later one in the batch wins.
 */
export function totalOutcomes(outcomes: readonly KeyOutcome[]): KeyOutcomeTotal[] {
  const totals = new Map<string, KeyOutcomeTotal>();
  for (const outcome of outcomes) {
    let total = totals.get(outcome.key);
    if (!total) {
      total = {
        key: outcome.key,
        requests: 0,
        failures: 0,
        lastUsedAt: outcome.at,
        lastFailureAt: null,
        lastError: null,
      };
      totals.set(outcome.key, total);
    }
    total.requests += 1;
    total.lastUsedAt = Math.max(total.lastUsedAt, outcome.at);
    if (!outcome.ok) {
      total.failures += 1;
      if (total.lastFailureAt === null || outcome.at >= total.lastFailureAt) {
        total.lastFailureAt = outcome.at;
        total.lastError = outcome.error ?? null;
      }
    }
  }
  return [...totals.values()];
}
