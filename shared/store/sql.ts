/**
 * The SQL driver of the state interface, over a synchronous executor so that one implementation
 * serves better-sqlite3 (relays/node) and the Durable Object's `ctx.storage.sql`
 * (relays/cloudflare). Statements stay within the Durable Object limits: one statement per call,
 * at most 100 bound parameters, no BEGIN/COMMIT (atomicity comes from `transaction`).
 */

import { totalOutcomes } from "./outcomes.ts";
import type { AccessKeyRecord, LoggedRequest, ResourceLimits, ResourceRecord, UsageBatch, UsageRetention, UsageRow } from "./records.ts";
import { removeResource, selectResource, upsertResource } from "./sql-resources.ts";
import { addedInVersion3, reservedInVersion1, schemaStatements, schemaVersion, schemaVersionSetting, settingsTable } from "./schema.ts";
import {
  deleteOldUsage,
  insertAccessKey,
  insertUsage,
  markAccessKeyRevoked,
  selectAccessKeys,
  selectRequests,
  selectUsage,
} from "./sql-records.ts";
import { integer, optionalInteger, optionalText, text, type SqlExecutor } from "./sql-values.ts";
import type { Cooldown, KeyOutcome, KeyStatus, PoolKey, PoolSnapshot, RestoreBatch, RestoreOutcome, Store } from "./store.ts";

export type { SqlExecutor, SqlValue } from "./sql-values.ts";

/** Thrown when a database was written by a newer gemrelay than the running one. */
export class SchemaVersionError extends Error {
  constructor(readonly found: number) {
    super(`database schema version ${found} is newer than this gemrelay's (${schemaVersion}); upgrade gemrelay`);
    this.name = "SchemaVersionError";
  }
}

const keyColumns =
  "key, status, status_reason, added_at, last_used_at, requests, failures, last_error";

/** The SQL implementation of {@link Store}. Creates the schema on construction. */
export class SqlStore implements Store {
  constructor(private readonly sql: SqlExecutor) {
    this.atomically(() => this.migrate());
  }

  async listKeys(): Promise<PoolKey[]> {
    return this.readKeys();
  }

  async addKeys(keys: readonly string[], at: number): Promise<string[]> {
    return this.atomically(() => this.insertKeys(keys, at));
  }

  async removeKeys(keys: readonly string[]): Promise<string[]> {
    const unique = [...new Set(keys)];
    return this.atomically(() => {
      const removed: string[] = [];
      for (const key of unique) {
        this.sql.run("DELETE FROM cooldowns WHERE key = ?", [key]);
        const rows = this.sql.all("DELETE FROM pool_keys WHERE key = ? RETURNING key", [key]);
        if (rows.length > 0) removed.push(key);
      }
      return removed;
    });
  }

  async setKeyStatus(key: string, status: KeyStatus, reason: string | null): Promise<boolean> {
    const rows = this.sql.all(
      "UPDATE pool_keys SET status = ?, status_reason = ? WHERE key = ? RETURNING key",
      [status, reason, key],
    );
    return rows.length > 0;
  }

  async setKeysStatus(keys: readonly string[], status: KeyStatus, reason: string | null): Promise<string[]> {
    const unique = [...new Set(keys)];
    return this.atomically(() =>
      unique.filter(
        (key) => this.sql.all("UPDATE pool_keys SET status = ?, status_reason = ? WHERE key = ? RETURNING key", [status, reason, key]).length > 0,
      ),
    );
  }

  async replaceKey(from: string, to: string): Promise<boolean> {
    if (from === to) return this.sql.all("SELECT key FROM pool_keys WHERE key = ?", [from]).length > 0;
    return this.atomically(() => {
      if (this.sql.all("SELECT key FROM pool_keys WHERE key = ?", [from]).length === 0) return false;
      if (this.sql.all("SELECT key FROM pool_keys WHERE key = ?", [to]).length > 0) {
        this.sql.run("DELETE FROM cooldowns WHERE key = ?", [from]);
        this.sql.run("DELETE FROM pool_keys WHERE key = ?", [from]);
        return true;
      }
      this.sql.run("DELETE FROM cooldowns WHERE key = ?", [to]);
      this.sql.run("UPDATE cooldowns SET key = ? WHERE key = ?", [to, from]);
      this.sql.run("UPDATE pool_keys SET key = ? WHERE key = ?", [to, from]);
      return true;
    });
  }

  async recordOutcomes(outcomes: readonly KeyOutcome[]): Promise<void> {
    const totals = totalOutcomes(outcomes);
    if (totals.length === 0) return;
    this.atomically(() => {
      for (const total of totals) {
        const failedAt = total.lastFailureAt;
        // A NULL failedAt makes both comparisons NULL, so the error columns stay as they are.
        this.sql.run(
          `UPDATE pool_keys SET
             requests = requests + ?,
             failures = failures + ?,
             last_used_at = max(coalesce(last_used_at, ?), ?),
             last_error = CASE WHEN ? >= coalesce(last_failure_at, ?) THEN ? ELSE last_error END,
             last_failure_at = CASE WHEN ? >= coalesce(last_failure_at, ?) THEN ? ELSE last_failure_at END
           WHERE key = ?`,
          [
            total.requests,
            total.failures,
            total.lastUsedAt,
            total.lastUsedAt,
            failedAt,
            failedAt,
            total.lastError,
            failedAt,
            failedAt,
            failedAt,
            total.key,
          ],
        );
      }
    });
  }

  async setCooldown(cooldown: Cooldown): Promise<void> {
    this.sql.run(
      `INSERT INTO cooldowns (key, model, until, reason) VALUES (?, ?, ?, ?)
       ON CONFLICT (key, model) DO UPDATE SET until = excluded.until, reason = excluded.reason WHERE excluded.until > cooldowns.until`,
      [cooldown.key, cooldown.model, cooldown.until, cooldown.reason],
    );
  }

  async listCooldowns(now: number): Promise<Cooldown[]> {
    this.sql.run("DELETE FROM cooldowns WHERE until <= ?", [now]);
    return this.readCooldowns(now);
  }

  async clearCooldowns(key?: string): Promise<void> {
    if (key === undefined) this.sql.run("DELETE FROM cooldowns", []);
    else this.sql.run("DELETE FROM cooldowns WHERE key = ?", [key]);
  }

  async snapshot(now: number): Promise<PoolSnapshot> {
    return this.atomically(() => ({
      keys: this.readKeys(),
      cooldowns: this.readCooldowns(now),
      takenAt: now,
    }));
  }

  async getSetting(name: string): Promise<string | null> {
    return this.readSetting(name);
  }

  async setSetting(name: string, value: string): Promise<void> {
    this.sql.run(
      "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
      [name, value],
    );
  }

  async compareAndSetSetting(name: string, expected: string | null, value: string): Promise<boolean> {
    // One statement each way, so the comparison and the write cannot be separated.
    const rows =
      expected === null
        ? this.sql.all("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING RETURNING name", [name, value])
        : this.sql.all("UPDATE settings SET value = ? WHERE name = ? AND value = ? RETURNING name", [value, name, expected]);
    return rows.length > 0;
  }

  async restore(batch: RestoreBatch): Promise<RestoreOutcome> {
    return this.atomically(() => {
      const keysAdded = this.insertKeys(batch.keys.map((entry) => entry.key), batch.at);
      const added = new Set(keysAdded);
      for (const entry of batch.keys) {
        if (added.has(entry.key) && entry.status !== "active") {
          this.sql.run("UPDATE pool_keys SET status = ?, status_reason = ? WHERE key = ?", [entry.status, entry.statusReason, entry.key]);
        }
      }
      let accessKeysAdded = 0;
      for (const record of batch.accessKeys) if (insertAccessKey(this.sql, record)) accessKeysAdded += 1;
      for (const [name, value] of Object.entries(batch.settings)) {
        this.sql.run("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", [name, value]);
      }
      insertUsage(this.sql, { daily: batch.usage, requests: [] });
      return { keysAdded, accessKeysAdded };
    });
  }

  async setSettingIfAbsent(name: string, value: string): Promise<string> {
    this.sql.run("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", [name, value]);
    return this.readSetting(name) ?? value;
  }

  async addAccessKey(record: AccessKeyRecord): Promise<boolean> {
    return insertAccessKey(this.sql, record);
  }

  async listAccessKeys(): Promise<AccessKeyRecord[]> {
    return selectAccessKeys(this.sql);
  }

  async revokeAccessKey(id: string, at: number): Promise<boolean> {
    return markAccessKeyRevoked(this.sql, id, at);
  }

  async recordUsage(batch: UsageBatch): Promise<void> {
    this.atomically(() => insertUsage(this.sql, batch));
  }

  async listUsage(fromDay: string, toDay: string): Promise<UsageRow[]> {
    return selectUsage(this.sql, fromDay, toDay);
  }

  async listRequests(query: { limit: number; before?: number | null }): Promise<LoggedRequest[]> {
    return selectRequests(this.sql, query.limit, query.before ?? null);
  }

  async pruneUsage(retention: UsageRetention): Promise<void> {
    this.atomically(() => deleteOldUsage(this.sql, retention));
  }

  async putResource(record: ResourceRecord, limits: ResourceLimits): Promise<void> {
    this.atomically(() => upsertResource(this.sql, record, limits));
  }

  async getResource(name: string, now: number): Promise<ResourceRecord | null> {
    return selectResource(this.sql, name, now);
  }

  async deleteResource(name: string): Promise<boolean> {
    return removeResource(this.sql, name);
  }

  /** Creates missing tables and records the schema version; refuses newer databases. */
  private migrate(): void {
    this.sql.run(settingsTable, []);
    const stored = this.readSetting(schemaVersionSetting);
    const found = stored === null ? null : Number(stored);
    if (found !== null && found > schemaVersion) throw new SchemaVersionError(found);
    // Version 1 reserved tables in another shape and never wrote them: replace them.
    if (found !== null && found < 2) for (const table of reservedInVersion1) this.sql.run(`DROP TABLE IF EXISTS ${table}`, []);
    // Version 2 tables lack the columns of version 3 (version 1 ones were just dropped and are recreated whole).
    if (found === 2) for (const statement of addedInVersion3) this.sql.run(statement, []);
    for (const statement of schemaStatements) this.sql.run(statement, []);
    if (found !== schemaVersion) {
      this.sql.run(
        "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [schemaVersionSetting, String(schemaVersion)],
      );
    }
  }

  /** Adds keys not yet present, last in order; runs inside the caller's transaction. */
  private insertKeys(keys: readonly string[], at: number): string[] {
    const added: string[] = [];
    for (const key of new Set(keys)) {
      // `WHERE true` keeps SQLite from reading ON CONFLICT as a join constraint (upsert docs).
      const rows = this.sql.all(
        `INSERT INTO pool_keys (key, position, status, added_at)
         SELECT ?, coalesce(max(position), 0) + 1, 'active', ? FROM pool_keys WHERE true
         ON CONFLICT (key) DO NOTHING RETURNING key`,
        [key, at],
      );
      if (rows.length > 0) added.push(key);
    }
    return added;
  }

  private readKeys(): PoolKey[] {
    const rows = this.sql.all(`SELECT ${keyColumns} FROM pool_keys ORDER BY position`, []);
    return rows.map((row) => ({
      key: text(row, "key"),
      status: text(row, "status") === "disabled" ? "disabled" : "active",
      statusReason: optionalText(row, "status_reason"),
      addedAt: integer(row, "added_at"),
      lastUsedAt: optionalInteger(row, "last_used_at"),
      requests: integer(row, "requests"),
      failures: integer(row, "failures"),
      lastError: optionalText(row, "last_error"),
    }));
  }

  private readCooldowns(now: number): Cooldown[] {
    const rows = this.sql.all(
      "SELECT key, model, until, reason FROM cooldowns WHERE until > ? ORDER BY key, model",
      [now],
    );
    return rows.map((row) => ({
      key: text(row, "key"),
      model: text(row, "model"),
      until: integer(row, "until"),
      reason: text(row, "reason"),
    }));
  }

  private readSetting(name: string): string | null {
    const rows = this.sql.all("SELECT value FROM settings WHERE name = ?", [name]);
    const row = rows[0];
    return row ? text(row, "value") : null;
  }

  private atomically<T>(body: () => T): T {
    return this.sql.transaction ? this.sql.transaction(body) : body();
  }
}
