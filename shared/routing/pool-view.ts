/**
 * An isolate-local view of the key pool. Picks read it without touching the Store; outcomes are
 * applied to it at once and sent to the Store in the background; it refreshes from the Store
 * when older than `refreshMs` (DESIGN.md: no single object on the hot path).
 */
import type { Cooldown, KeyOutcome, PoolKey, PoolSnapshot, Store } from "../store/store.ts";

/** How long outcomes gather before they are written to the Store together. */
const outcomeBatchMs = 20;

/** Runs a task after the response without making the client wait (Cloudflare's waitUntil). */
export type Background = (task: Promise<unknown>) => void;

/** Tuning and injected time for a PoolView. */
export interface PoolViewOptions {
  refreshMs: number;
  clock: () => number;
  /** Where failures of background writes are reported; they must never reach a client. */
  onBackgroundError?: (error: unknown) => void;
}

/** A change this isolate made that the Store may not reflect yet. */
interface LocalChange {
  at: number;
  cooldown?: Cooldown;
  disabled?: { key: string; reason: string };
}

export class PoolView {
  private snapshot: PoolSnapshot | null = null;
  private loading: Promise<PoolSnapshot> | null = null;
  private local: LocalChange[] = [];
  private pendingOutcomes: KeyOutcome[] = [];
  private flushing: Promise<void> | null = null;
  /** Bumped when another instance changed the shared Store; the next pick waits for a read started after it. */
  private changes = 0;
  /** The value of `changes` when the newest snapshot's read started. */
  private seenChanges = 0;

  constructor(
    private readonly store: Store,
    private readonly options: PoolViewOptions,
  ) {}

  /** The current snapshot; waits for the Store only the first time, then refreshes behind the scenes. */
  async current(background: Background): Promise<PoolSnapshot> {
    if (this.snapshot === null) return this.refresh();
    // Another instance changed the pool: read it before picking, but never fail a request
    // because the Store is unreachable (the last snapshot still routes).
    if (this.changes > this.seenChanges) {
      // A read already running may have started before the change: wait for it, then read again.
      if (this.loading) await this.loading.catch(() => undefined);
      if (this.changes > this.seenChanges) return this.refresh().catch(() => this.snapshot ?? this.refresh());
    }
    if (this.options.clock() - this.snapshot.takenAt > this.options.refreshMs && this.loading === null) {
      background(this.refresh().catch((error: unknown) => this.options.onBackgroundError?.(error)));
    }
    return this.snapshot;
  }

  /** Forgets local changes and reads the Store (after an admin changed keys or cooldowns). */
  invalidate(): Promise<PoolSnapshot> {
    this.local = [];
    return this.refresh();
  }

  /**
   * Marks the snapshot stale because another instance changed the shared Store (a cooldown, a
   * disabled key, an admin change): the next `current()` waits for a fresh read.
   */
  markStale(): void {
    this.changes += 1;
  }

  /** Reads the Store now (after admin changes, or when stale). */
  refresh(): Promise<PoolSnapshot> {
    const changes = this.changes;
    // Our own reported outcomes go first, so the snapshot includes them.
    this.loading ??= this.flush()
      .then(() => this.store.snapshot(this.options.clock()))
      .then((snapshot) => {
        this.seenChanges = Math.max(this.seenChanges, changes);
        return (this.snapshot = this.overlay(snapshot));
      })
      .finally(() => (this.loading = null));
    return this.loading;
  }

  /** Records an attempt's outcome: counters go to the Store in the background. */
  report(outcome: KeyOutcome, background: Background): void {
    const key = this.snapshot?.keys.find((candidate) => candidate.key === outcome.key);
    if (key) {
      key.requests += 1;
      key.lastUsedAt = outcome.at;
      if (!outcome.ok) {
        key.failures += 1;
        key.lastError = outcome.error ?? null;
      }
    }
    this.pendingOutcomes.push(outcome);
    // One Store write per batch window instead of one per request: on Node the SQLite write is
    // synchronous and would otherwise sit on every request's path.
    this.flushing ??= new Promise<void>((resolve) => setTimeout(resolve, outcomeBatchMs)).then(() => this.flush());
    background(this.flushing);
  }

  /** Writes the outcomes reported so far in one Store call (also run before every refresh). */
  async flush(): Promise<void> {
    this.flushing = null;
    const batch = this.pendingOutcomes.splice(0);
    if (batch.length === 0) return;
    await this.store.recordOutcomes(batch).catch((error: unknown) => this.options.onBackgroundError?.(error));
  }

  /** Cools a key for a model here at once and in the Store in the background. */
  coolDown(cooldown: Cooldown, background: Background): void {
    this.local.push({ at: this.options.clock(), cooldown });
    if (this.snapshot) this.snapshot = this.overlay(this.snapshot);
    this.write(this.store.setCooldown(cooldown), background);
  }

  /** Disables a key here at once and in the Store in the background. */
  disable(key: string, reason: string, background: Background): void {
    this.local.push({ at: this.options.clock(), disabled: { key, reason } });
    if (this.snapshot) this.snapshot = this.overlay(this.snapshot);
    this.write(this.store.setKeyStatus(key, "disabled", reason), background);
  }

  private write(task: Promise<unknown>, background: Background): void {
    background(task.catch((error: unknown) => this.options.onBackgroundError?.(error)));
  }

  /** Re-applies local changes younger than the refresh window over a snapshot from the Store. */
  private overlay(snapshot: PoolSnapshot): PoolSnapshot {
    const now = this.options.clock();
    // A change is dropped once it expired or a snapshot taken well after it must contain it.
    this.local = this.local.filter(
      (change) => (change.cooldown?.until ?? Infinity) > now && snapshot.takenAt <= change.at + this.options.refreshMs,
    );
    if (this.local.length === 0) return snapshot;
    const keys: PoolKey[] = snapshot.keys.map((key) => {
      const disabled = this.local.find((change) => change.disabled?.key === key.key)?.disabled;
      return disabled && key.status === "active" ? { ...key, status: "disabled", statusReason: disabled.reason } : key;
    });
    // One cooldown per key × model, the one that lasts longest (as the Store keeps it).
    const cooldowns = new Map<string, Cooldown>();
    for (const cooldown of [...snapshot.cooldowns, ...this.local.flatMap((change) => (change.cooldown ? [change.cooldown] : []))]) {
      const name = `${cooldown.key}\u0000${cooldown.model}`;
      if ((cooldowns.get(name)?.until ?? -Infinity) < cooldown.until) cooldowns.set(name, cooldown);
    }
    return { keys, cooldowns: [...cooldowns.values()], takenAt: snapshot.takenAt };
  }
}
