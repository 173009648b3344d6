/**
 * Keeps an instance serving while its shared store (Redis) is unreachable: reads fall back to the
 * last answer seen, hot-path writes (outcomes, cooldowns, disables, usage) are queued in memory,
 * bounded, and replayed in order once the store is back. Admin writes that must be seen by every
 * instance (keys, access keys) fail with a clear 503 instead of pretending.
 */
import { GemrelayError } from "../../shared/errors.ts";
import type { AccessKeyRecord, LoggedRequest, ResourceLimits, ResourceRecord, UsageBatch, UsageRetention, UsageRow } from "../../shared/store/records.ts";
import type { Cooldown, KeyOutcome, KeyStatus, PoolKey, PoolSnapshot, RestoreBatch, RestoreOutcome, Store } from "../../shared/store/store.ts";

/** Options of a {@link ResilientStore}. */
export interface ResilientStoreOptions {
  /** Most writes kept while the store is down; the oldest are dropped beyond it. */
  maxQueued: number;
  /** Called after a write other instances should notice (cooldowns, status, keys, settings). */
  changed(): void;
  /** True when the store came back empty (a Redis restarted without persistence): it is then re-seeded. */
  lostData?: () => Promise<boolean>;
  /** Where the re-seed is reported. */
  log?: (entry: Record<string, unknown>) => void;
}

/** A failed call that means "unreachable" rather than "refused": anything but a Redis reply error. */
function isUnreachable(error: unknown): boolean {
  return !(error instanceof Error && error.name === "ReplyError");
}

/** The {@link Store} wrapper; `down`/`up` are driven by the connection's events. */
export class ResilientStore implements Store {
  private readonly cache = new Map<string, unknown>();
  private readonly queue: (() => Promise<unknown>)[] = [];
  private reachable = true;
  private replaying: Promise<void> | null = null;
  /** Writes dropped because the queue was full, since start. */
  dropped = 0;
  lastError: string | null = null;

  constructor(
    private readonly inner: Store,
    private readonly options: ResilientStoreOptions,
  ) {}

  /** True while the store is unreachable or queued writes wait for it. */
  get degraded(): boolean {
    return !this.reachable || this.queue.length > 0;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** The connection dropped: serve from the cache and queue writes. */
  down(error: unknown): void {
    this.reachable = false;
    this.lastError = error instanceof Error ? error.message : String(error);
  }

  /** The connection is back: replay queued writes in order (stops at the first failure). */
  up(): Promise<void> {
    this.reachable = true;
    this.replaying ??= (async () => {
      let replayed = 0;
      try {
        if (await this.reseed()) replayed += 1;
      } catch (error) {
        if (isUnreachable(error)) return this.down(error);
      }
      while (this.queue.length > 0 && this.reachable) {
        const write = this.queue[0] as () => Promise<unknown>;
        try {
          await write();
        } catch (error) {
          if (isUnreachable(error)) {
            this.down(error);
            break;
          }
        }
        this.queue.shift();
        replayed += 1;
      }
      if (replayed > 0) this.options.changed();
    })().finally(() => (this.replaying = null));
    return this.replaying;
  }

  /**
   * Writes back what this instance last saw when the store lost everything (pool keys in order
   * with status and running cooldowns, access keys, settings), so that a Redis restarted without
   * persistence does not leave every instance without keys. Another instance doing the same at
   * once is harmless: every step keeps what is already there.
   */
  private async reseed(): Promise<boolean> {
    const snapshot = this.cache.get("snapshot") as PoolSnapshot | undefined;
    if (!this.options.lostData || !snapshot || snapshot.keys.length === 0 || !(await this.options.lostData())) return false;
    for (const key of snapshot.keys) await this.inner.addKeys([key.key], key.addedAt);
    for (const key of snapshot.keys) if (key.status === "disabled") await this.inner.setKeyStatus(key.key, "disabled", key.statusReason);
    const now = Date.now();
    for (const cooldown of snapshot.cooldowns) if (cooldown.until > now) await this.inner.setCooldown(cooldown);
    for (const record of (this.cache.get("listAccessKeys") as AccessKeyRecord[] | undefined) ?? []) await this.inner.addAccessKey(record);
    for (const [name, value] of this.cache) {
      if (name.startsWith("setting:") && typeof value === "string") await this.inner.setSettingIfAbsent(name.slice("setting:".length), value);
    }
    this.options.log?.({ level: "warn", event: "store.reseeded", message: `The shared store came back empty; restored ${snapshot.keys.length} pool keys from this instance's copy` });
    return true;
  }

  /** Reads through, remembering the answer; answers from memory while unreachable. */
  private async read<T>(cacheKey: string, call: () => Promise<T>): Promise<T> {
    try {
      const value = await call();
      this.cache.set(cacheKey, value);
      return structuredClone(value);
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      this.down(error);
      if (this.cache.has(cacheKey)) return structuredClone(this.cache.get(cacheKey) as T);
      throw new GemrelayError("The shared state store (Redis) is unreachable and this instance has no copy of this data yet.", 503);
    }
  }

  /** Writes through, or queues the write while unreachable and answers `fallback`. */
  private async write<T>(call: () => Promise<T>, fallback: T, notify: boolean): Promise<T> {
    if (this.degraded) return this.enqueue(call, fallback);
    return this.through(call, notify, () => this.enqueue(call, fallback));
  }

  /** Runs `call` (announced as a change when `notify`); when the store is unreachable, marks it down and answers `whenDown()`. */
  private async through<T>(call: () => Promise<T>, notify: boolean, whenDown: () => T): Promise<T> {
    try {
      const result = await call();
      if (notify) this.options.changed();
      return result;
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      this.down(error);
      return whenDown();
    }
  }

  private enqueue<T>(call: () => Promise<T>, fallback: T): T {
    this.queue.push(call);
    if (this.queue.length > this.options.maxQueued) {
      this.queue.shift();
      this.dropped += 1;
    }
    return fallback;
  }

  /** Admin calls: through (announced as a change when `notify`), or a clear 503 when the store is unreachable. */
  private strict<T>(call: () => Promise<T>, notify = true): Promise<T> {
    return this.through(call, notify, () => {
      throw new GemrelayError("The shared state store (Redis) is unreachable: admin changes and reports wait until it is back.", 503);
    });
  }

  async snapshot(now: number): Promise<PoolSnapshot> {
    const snapshot = await this.read("snapshot", () => this.inner.snapshot(now));
    // From memory: the cooldowns that ran out since are dropped, takenAt stays old (so local decisions persist).
    return { ...snapshot, cooldowns: snapshot.cooldowns.filter((cooldown) => cooldown.until > now) };
  }

  async listKeys(): Promise<PoolKey[]> {
    return this.read("listKeys", () => this.inner.listKeys());
  }

  async listCooldowns(now: number): Promise<Cooldown[]> {
    return (await this.read("listCooldowns", () => this.inner.listCooldowns(now))).filter((cooldown) => cooldown.until > now);
  }

  addKeys(keys: readonly string[], at: number): Promise<string[]> {
    return this.strict(() => this.inner.addKeys(keys, at));
  }

  removeKeys(keys: readonly string[]): Promise<string[]> {
    return this.strict(() => this.inner.removeKeys(keys));
  }

  setKeyStatus(key: string, status: KeyStatus, reason: string | null): Promise<boolean> {
    return this.write(() => this.inner.setKeyStatus(key, status, reason), true, true);
  }

  setKeysStatus(keys: readonly string[], status: KeyStatus, reason: string | null): Promise<string[]> {
    return this.write(() => this.inner.setKeysStatus(keys, status, reason), [...new Set(keys)], true);
  }

  replaceKey(from: string, to: string): Promise<boolean> {
    return this.strict(() => this.inner.replaceKey(from, to));
  }

  recordOutcomes(outcomes: readonly KeyOutcome[]): Promise<void> {
    return this.write(() => this.inner.recordOutcomes(outcomes), undefined, false);
  }

  setCooldown(cooldown: Cooldown): Promise<void> {
    return this.write(() => this.inner.setCooldown(cooldown), undefined, true);
  }

  clearCooldowns(key?: string): Promise<void> {
    return this.write(() => this.inner.clearCooldowns(key), undefined, true);
  }

  getSetting(name: string): Promise<string | null> {
    return this.read(`setting:${name}`, () => this.inner.getSetting(name));
  }

  setSetting(name: string, value: string): Promise<void> {
    this.cache.set(`setting:${name}`, value);
    return this.write(() => this.inner.setSetting(name, value), undefined, true);
  }

  setSettingIfAbsent(name: string, value: string): Promise<string> {
    return this.strict(() => this.inner.setSettingIfAbsent(name, value));
  }

  async compareAndSetSetting(name: string, expected: string | null, value: string): Promise<boolean> {
    // Never queued: a compare-and-set replayed later would compare against a value long gone.
    const stored = await this.strict(() => this.inner.compareAndSetSetting(name, expected, value));
    if (stored) this.cache.set(`setting:${name}`, value);
    return stored;
  }

  restore(batch: RestoreBatch): Promise<RestoreOutcome> {
    return this.strict(() => this.inner.restore(batch));
  }

  addAccessKey(record: AccessKeyRecord): Promise<boolean> {
    return this.strict(() => this.inner.addAccessKey(record));
  }

  listAccessKeys(): Promise<AccessKeyRecord[]> {
    return this.read("listAccessKeys", () => this.inner.listAccessKeys());
  }

  revokeAccessKey(id: string, at: number): Promise<boolean> {
    return this.strict(() => this.inner.revokeAccessKey(id, at));
  }

  recordUsage(batch: UsageBatch): Promise<void> {
    return this.write(() => this.inner.recordUsage(batch), undefined, false);
  }

  // Admin reports: not kept in memory (their arguments vary without bound); a 503 while unreachable.
  listUsage(fromDay: string, toDay: string): Promise<UsageRow[]> {
    return this.strict(() => this.inner.listUsage(fromDay, toDay), false);
  }

  listRequests(query: { limit: number; before?: number | null }): Promise<LoggedRequest[]> {
    return this.strict(() => this.inner.listRequests(query), false);
  }

  pruneUsage(retention: UsageRetention): Promise<void> {
    return this.write(() => this.inner.pruneUsage(retention), undefined, false);
  }

  /** Queued while down, like the other hot-path writes: the record reaches the store once it is back. */
  putResource(record: ResourceRecord, limits: ResourceLimits): Promise<void> {
    return this.write(() => this.inner.putResource(record, limits), undefined, false);
  }

  /** Never guessed from a stale copy: a wrong key would answer Google's 403, a clear 503 is better. */
  getResource(name: string, now: number): Promise<ResourceRecord | null> {
    return this.strict(() => this.inner.getResource(name, now), false);
  }

  deleteResource(name: string): Promise<boolean> {
    return this.write(() => this.inner.deleteResource(name), true, false);
  }
}
