/**
 * The in-memory driver of the state interface: plain Maps, nothing persists. For tests and for
 * runs that need no state across restarts. Behaves exactly like the SQL driver (same
 * conformance suite), including returning copies so callers cannot mutate the state.
 */

import { totalOutcomes } from "./outcomes.ts";
import type { Cooldown, KeyOutcome, KeyStatus, PoolKey, PoolSnapshot, Store } from "./store.ts";

/** A pool key plus what the driver tracks but does not expose. */
interface KeyRecord extends PoolKey {
  /** When the failure behind `lastError` happened; see `outcomes.ts`. */
  lastFailureAt: number | null;
}

/** The in-memory implementation of {@link Store}. */
export class MemoryStore implements Store {
  /** Map iteration order is insertion order, which is the order `listKeys` promises. */
  private readonly keys = new Map<string, KeyRecord>();
  /** Cooldowns by key, then by model. */
  private readonly cooldowns = new Map<string, Map<string, Cooldown>>();
  private readonly settings = new Map<string, string>();

  async listKeys(): Promise<PoolKey[]> {
    return this.copyKeys();
  }

  async addKeys(keys: readonly string[], at: number): Promise<string[]> {
    const added: string[] = [];
    for (const key of keys) {
      if (this.keys.has(key)) continue;
      this.keys.set(key, {
        key,
        status: "active",
        statusReason: null,
        addedAt: at,
        lastUsedAt: null,
        requests: 0,
        failures: 0,
        lastError: null,
        lastFailureAt: null,
      });
      added.push(key);
    }
    return added;
  }

  async removeKeys(keys: readonly string[]): Promise<string[]> {
    const removed: string[] = [];
    for (const key of keys) {
      this.cooldowns.delete(key);
      if (this.keys.delete(key)) removed.push(key);
    }
    return removed;
  }

  async setKeyStatus(key: string, status: KeyStatus, reason: string | null): Promise<boolean> {
    const record = this.keys.get(key);
    if (!record) return false;
    record.status = status;
    record.statusReason = reason;
    return true;
  }

  async recordOutcomes(outcomes: readonly KeyOutcome[]): Promise<void> {
    for (const total of totalOutcomes(outcomes)) {
      const record = this.keys.get(total.key);
      if (!record) continue;
      record.requests += total.requests;
      record.failures += total.failures;
      record.lastUsedAt = Math.max(record.lastUsedAt ?? total.lastUsedAt, total.lastUsedAt);
      const failedAt = total.lastFailureAt;
      if (failedAt !== null && (record.lastFailureAt === null || failedAt >= record.lastFailureAt)) {
        record.lastFailureAt = failedAt;
        record.lastError = total.lastError;
      }
    }
  }

  async setCooldown(cooldown: Cooldown): Promise<void> {
    let byModel = this.cooldowns.get(cooldown.key);
    if (!byModel) {
      byModel = new Map();
      this.cooldowns.set(cooldown.key, byModel);
    }
    byModel.set(cooldown.model, { ...cooldown });
  }

  async listCooldowns(now: number): Promise<Cooldown[]> {
    for (const [key, byModel] of this.cooldowns) {
      for (const [model, cooldown] of byModel) if (cooldown.until <= now) byModel.delete(model);
      if (byModel.size === 0) this.cooldowns.delete(key);
    }
    return this.copyCooldowns(now);
  }

  async clearCooldowns(key?: string): Promise<void> {
    if (key === undefined) this.cooldowns.clear();
    else this.cooldowns.delete(key);
  }

  async snapshot(now: number): Promise<PoolSnapshot> {
    return { keys: this.copyKeys(), cooldowns: this.copyCooldowns(now), takenAt: now };
  }

  async getSetting(name: string): Promise<string | null> {
    return this.settings.get(name) ?? null;
  }

  async setSetting(name: string, value: string): Promise<void> {
    this.settings.set(name, value);
  }

  private copyKeys(): PoolKey[] {
    return [...this.keys.values()].map(({ lastFailureAt: _hidden, ...key }) => key);
  }

  /** Running cooldowns ordered by key then model, as the SQL driver returns them. */
  private copyCooldowns(now: number): Cooldown[] {
    const running: Cooldown[] = [];
    for (const byModel of this.cooldowns.values()) {
      for (const cooldown of byModel.values()) if (cooldown.until > now) running.push({ ...cooldown });
    }
    return running.sort((a, b) => compareText(a.key, b.key) || compareText(a.model, b.model));
  }
}

/** Binary string order, matching SQLite's default BINARY collation for ASCII text. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
