/**
 * The in-memory driver of the state interface: plain Maps, nothing persists. For tests and for
 * runs that need no state across restarts. Behaves exactly like the SQL driver (same
 * conformance suite), including returning copies so callers cannot mutate the state.
 */

import { totalOutcomes } from "./outcomes.ts";
import { addUsage, type AccessKeyRecord, type LoggedRequest, type ResourceLimits, type ResourceRecord, type UsageBatch, type UsageRetention, type UsageRow } from "./records.ts";
import type { Cooldown, KeyOutcome, KeyStatus, PoolKey, PoolSnapshot, RestoreBatch, RestoreOutcome, Store } from "./store.ts";

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
  private readonly accessKeys = new Map<string, AccessKeyRecord>();
  /** Daily usage by `day \0 accessKey \0 poolKey \0 model`. */
  private readonly usage = new Map<string, UsageRow>();
  private requests: LoggedRequest[] = [];
  private readonly resources = new Map<string, ResourceRecord>();
  private lastRequestId = 0;

  async listKeys(): Promise<PoolKey[]> {
    return this.copyKeys();
  }

  async addKeys(keys: readonly string[], at: number): Promise<string[]> {
    return this.insertKeys(keys, at);
  }

  /** Synchronous, so a restore applies without another call running in between. */
  private insertKeys(keys: readonly string[], at: number): string[] {
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
    return this.changeStatus(key, status, reason);
  }

  private changeStatus(key: string, status: KeyStatus, reason: string | null): boolean {
    const record = this.keys.get(key);
    if (!record) return false;
    record.status = status;
    record.statusReason = reason;
    return true;
  }

  async setKeysStatus(keys: readonly string[], status: KeyStatus, reason: string | null): Promise<string[]> {
    const changed: string[] = [];
    for (const key of new Set(keys)) if (this.changeStatus(key, status, reason)) changed.push(key);
    return changed;
  }

  async replaceKey(from: string, to: string): Promise<boolean> {
    const record = this.keys.get(from);
    if (!record) return false;
    if (from === to) return true;
    const cooldowns = this.cooldowns.get(from);
    this.cooldowns.delete(from);
    if (this.keys.has(to)) {
      this.keys.delete(from);
      return true;
    }
    // Rebuild the map so the renamed key keeps its place in insertion order.
    const entries = [...this.keys.entries()].map(([key, value]): [string, KeyRecord] => (key === from ? [to, { ...value, key: to }] : [key, value]));
    this.keys.clear();
    for (const [key, value] of entries) this.keys.set(key, value);
    this.cooldowns.delete(to);
    if (cooldowns) this.cooldowns.set(to, new Map([...cooldowns].map(([model, cooldown]) => [model, { ...cooldown, key: to }])));
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
    if ((byModel.get(cooldown.model)?.until ?? -Infinity) < cooldown.until) byModel.set(cooldown.model, { ...cooldown });
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

  async setSettingIfAbsent(name: string, value: string): Promise<string> {
    if (!this.settings.has(name)) this.settings.set(name, value);
    return this.settings.get(name) ?? value;
  }

  async compareAndSetSetting(name: string, expected: string | null, value: string): Promise<boolean> {
    if ((this.settings.get(name) ?? null) !== expected) return false;
    this.settings.set(name, value);
    return true;
  }

  async restore(batch: RestoreBatch): Promise<RestoreOutcome> {
    // Every step is synchronous: nothing else runs in between, and nothing here can fail halfway.
    const keysAdded = this.insertKeys(batch.keys.map((entry) => entry.key), batch.at);
    const added = new Set(keysAdded);
    for (const entry of batch.keys) if (added.has(entry.key) && entry.status !== "active") this.changeStatus(entry.key, entry.status, entry.statusReason);
    let accessKeysAdded = 0;
    for (const record of batch.accessKeys) if (this.insertAccessKey(record)) accessKeysAdded += 1;
    for (const [name, value] of Object.entries(batch.settings)) this.settings.set(name, value);
    this.insertUsage({ daily: batch.usage, requests: [] });
    return { keysAdded, accessKeysAdded };
  }

  async addAccessKey(record: AccessKeyRecord): Promise<boolean> {
    return this.insertAccessKey(record);
  }

  private insertAccessKey(record: AccessKeyRecord): boolean {
    if (this.accessKeys.has(record.id) || [...this.accessKeys.values()].some((existing) => existing.hash === record.hash)) return false;
    this.accessKeys.set(record.id, { ...record, models: [...record.models] });
    return true;
  }

  async listAccessKeys(): Promise<AccessKeyRecord[]> {
    return [...this.accessKeys.values()]
      .sort((a, b) => a.createdAt - b.createdAt || compareText(a.id, b.id))
      .map((record) => ({ ...record, models: [...record.models] }));
  }

  async revokeAccessKey(id: string, at: number): Promise<boolean> {
    const record = this.accessKeys.get(id);
    if (!record || record.revokedAt !== null) return false;
    record.revokedAt = at;
    return true;
  }

  async recordUsage(batch: UsageBatch): Promise<void> {
    this.insertUsage(batch);
  }

  private insertUsage(batch: UsageBatch): void {
    for (const delta of batch.daily) {
      const id = [delta.day, delta.accessKey, delta.poolKey, delta.model].join("\0");
      const row = this.usage.get(id);
      if (row) addUsage(row, delta);
      else this.usage.set(id, { ...delta });
    }
    for (const entry of batch.requests) this.requests.push({ ...entry, id: ++this.lastRequestId });
  }

  async listUsage(fromDay: string, toDay: string): Promise<UsageRow[]> {
    return [...this.usage.entries()]
      .filter(([, row]) => row.day >= fromDay && row.day <= toDay)
      .sort(([a], [b]) => compareText(a, b))
      .map(([, row]) => ({ ...row }));
  }

  async listRequests(query: { limit: number; before?: number | null }): Promise<LoggedRequest[]> {
    const before = query.before ?? Number.MAX_SAFE_INTEGER;
    return this.requests
      .filter((entry) => entry.id < before)
      .reverse()
      .slice(0, Math.max(0, Math.floor(query.limit)))
      .map((entry) => ({ ...entry }));
  }

  async pruneUsage(retention: UsageRetention): Promise<void> {
    for (const [id, row] of this.usage) if (row.day < retention.beforeDay) this.usage.delete(id);
    const since = Date.parse(`${retention.beforeDay}T00:00:00Z`);
    this.requests = this.requests.filter((entry) => entry.at >= since);
    const keep = Math.max(0, Math.floor(retention.maxRequests));
    this.requests = keep === 0 ? [] : this.requests.slice(-keep);
  }

  async putResource(record: ResourceRecord, limits: ResourceLimits): Promise<void> {
    for (const [name, stored] of this.resources) if (stored.expiresAt <= limits.now) this.resources.delete(name);
    this.resources.set(record.name, { ...record });
    const surplus = this.resources.size - Math.max(1, Math.floor(limits.cap));
    if (surplus > 0) {
      const soonest = [...this.resources.values()].sort((a, b) => a.expiresAt - b.expiresAt || (a.name < b.name ? -1 : 1)).slice(0, surplus);
      for (const stale of soonest) this.resources.delete(stale.name);
    }
  }

  async getResource(name: string, now: number): Promise<ResourceRecord | null> {
    const record = this.resources.get(name);
    return record !== undefined && record.expiresAt > now ? { ...record } : null;
  }

  async deleteResource(name: string): Promise<boolean> {
    return this.resources.delete(name);
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
