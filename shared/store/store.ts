/**
 * The one state interface of gemrelay. Drivers: memory (tests), SQLite through a synchronous
 * executor (better-sqlite3 on Node, `ctx.storage.sql` in the Cloudflare Durable Object).
 * Every driver passes the same conformance suite (test/store/conformance.ts).
 */

import type { AccessKeyRecord, LoggedRequest, ResourceLimits, ResourceRecord, UsageBatch, UsageDelta, UsageRetention, UsageRow } from "./records.ts";

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

/** A pool key to restore: added (at the batch's `at`) unless present, then given its status. */
export interface RestoredKey {
  key: string;
  status: KeyStatus;
  statusReason: string | null;
}

/**
 * Everything a restore writes, validated beforehand (admin/restore.ts) and applied by
 * {@link Store.restore} as one transaction.
 */
export interface RestoreBatch {
  at: number;
  /** Keys already in the pool keep their state; new ones take the status given. */
  keys: RestoredKey[];
  /** Records whose id or hash is taken are skipped. */
  accessKeys: AccessKeyRecord[];
  /** Setting name → value, replacing what is stored. */
  settings: Record<string, string>;
  /** Summed into the daily rows, like {@link Store.recordUsage}. */
  usage: UsageDelta[];
}

/** What {@link Store.restore} changed. */
export interface RestoreOutcome {
  /** The keys that were not in the pool before, in batch order. */
  keysAdded: string[];
  accessKeysAdded: number;
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
  /** Sets the status of many keys in one call (admin resets, checks); returns the keys that exist. */
  setKeysStatus(keys: readonly string[], status: KeyStatus, reason: string | null): Promise<string[]>;
  /**
   * Renames a key in place, keeping its position, status, counters and cooldowns (used to seal
   * keys stored before ENCRYPTION_KEY was set). When `to` already exists, `from` is only
   * removed. Returns false when `from` is unknown.
   */
  replaceKey(from: string, to: string): Promise<boolean>;
  /** Applies counters: requests +1 each, failures +1 when not ok, lastUsedAt, lastError. */
  recordOutcomes(outcomes: readonly KeyOutcome[]): Promise<void>;
  /** Creates the cooldown of (key, model), or extends it: one that ends earlier never shortens it. */
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
  /** Stores `value` unless `name` already has one; returns the value stored now (first writer wins). */
  setSettingIfAbsent(name: string, value: string): Promise<string>;
  /**
   * Stores `value` only while `name` still holds `expected` (null: no value at all) and says
   * whether it did. The compare-and-set under every read-modify-write of a setting
   * (store/update.ts), so that concurrent edits from isolates or instances never lose one another.
   */
  compareAndSetSetting(name: string, expected: string | null, value: string): Promise<boolean>;
  /**
   * Applies a restore in one transaction: keys, access keys, settings and usage all change, or
   * (on any failure) none does. The caller validates the batch first.
   */
  restore(batch: RestoreBatch): Promise<RestoreOutcome>;

  /** Adds an access key; false when its id or hash is already taken. */
  addAccessKey(record: AccessKeyRecord): Promise<boolean>;
  /** Every access key, revoked ones included, oldest first. */
  listAccessKeys(): Promise<AccessKeyRecord[]>;
  /** Marks an access key revoked at `at`; false when unknown or already revoked. */
  revokeAccessKey(id: string, at: number): Promise<boolean>;

  /** Adds daily counters (summing into existing rows) and appends request log entries. */
  recordUsage(batch: UsageBatch): Promise<void>;
  /** Daily usage rows from `fromDay` to `toDay` inclusive (`YYYY-MM-DD`), by day then dimensions. */
  listUsage(fromDay: string, toDay: string): Promise<UsageRow[]>;
  /** The newest request log entries, newest first; `before` pages back from an entry id. */
  listRequests(query: { limit: number; before?: number | null }): Promise<LoggedRequest[]>;
  /** Removes usage older than the retention window and trims the request log. */
  pruneUsage(retention: UsageRetention): Promise<void>;

  /** Records (or replaces) which key holds a resource; drops expired records and keeps at most `limits.cap`. */
  putResource(record: ResourceRecord, limits: ResourceLimits): Promise<void>;
  /** The record of `name` unless missing or expired at `now`. */
  getResource(name: string, now: number): Promise<ResourceRecord | null>;
  /** Forgets `name`; false when there was no record. */
  deleteResource(name: string): Promise<boolean>;
}
