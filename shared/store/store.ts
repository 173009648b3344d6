/**
 * The one state interface of gemrelay. Drivers: memory (tests), SQLite through a synchronous
 * executor (better-sqlite3 on Node, `ctx.storage.sql` in the Cloudflare Durable Object).
 * Every driver passes the same conformance suite (test/store/conformance.ts).
 */

/** Whether a pool key may be picked. */
export type KeyStatus = "active" | "disabled";

/** A Gemini key in the pool with its counters. */
export interface PoolKey {
  key: string;
  status: KeyStatus;
  /** Why the key was disabled (an error class or message, never a secret). */
  statusReason: string | null;
  addedAt: number;
  lastUsedAt: number | null;
  requests: number;
  failures: number;
  lastError: string | null;
}

/** A key that must not be used for a model until `until` (epoch ms). Model `*` means every model. */
export interface Cooldown {
  key: string;
  model: string;
  until: number;
  reason: string;
}

/** The result of one upstream attempt with one key, reported to update counters. */
export interface KeyOutcome {
  key: string;
  at: number;
  ok: boolean;
  /** Short error description (class and status), never containing a secret. */
  error?: string | null;
}

/** Everything the router needs in one read, so Cloudflare isolates refresh it in one call. */
export interface PoolSnapshot {
  keys: PoolKey[];
  cooldowns: Cooldown[];
  /** When the snapshot was taken (epoch ms). */
  takenAt: number;
}

/** Persistent state. All methods are async so that remote drivers fit the same interface. */
export interface Store {
  /** All pool keys in insertion order. */
  listKeys(): Promise<PoolKey[]>;
  /** Adds keys not yet present (status active); returns the ones actually added, in order. */
  addKeys(keys: readonly string[], at: number): Promise<string[]>;
  /** Removes keys and their cooldowns; returns the ones that existed. */
  removeKeys(keys: readonly string[]): Promise<string[]>;
  /** Sets a key's status; returns false when the key is unknown. */
  setKeyStatus(key: string, status: KeyStatus, reason: string | null): Promise<boolean>;
  /** Applies counters: requests +1 each, failures +1 when not ok, lastUsedAt, lastError. */
  recordOutcomes(outcomes: readonly KeyOutcome[]): Promise<void>;
  /** Creates or replaces the cooldown of (key, model). */
  setCooldown(cooldown: Cooldown): Promise<void>;
  /** Cooldowns still running at `now`; expired ones may be purged. */
  listCooldowns(now: number): Promise<Cooldown[]>;
  /** Clears cooldowns of one key, or of every key when omitted. */
  clearCooldowns(key?: string): Promise<void>;
  /** Keys and running cooldowns in one read. */
  snapshot(now: number): Promise<PoolSnapshot>;
  /** A small named value (settings, generated secrets' hashes, schema version). */
  getSetting(name: string): Promise<string | null>;
  setSetting(name: string, value: string): Promise<void>;
}
