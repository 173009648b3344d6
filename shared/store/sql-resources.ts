/**
 * The SQL side of resource records (which pool key holds a file, a cache, a batch, an upload
 * session), as functions over a {@link SqlExecutor} like sql-records.ts. Bounded on every write:
 * expired rows go, then the rows expiring soonest beyond the cap.
 */
import type { ResourceLimits, ResourceRecord } from "./records.ts";
import { integer, optionalText, text, type SqlExecutor } from "./sql-values.ts";

/** Upserts `record` after dropping expired rows; trims to `limits.cap` rows. */
export function upsertResource(sql: SqlExecutor, record: ResourceRecord, limits: ResourceLimits): void {
  sql.run("DELETE FROM resources WHERE expires_at <= ?", [limits.now]);
  sql.run(
    `INSERT INTO resources (name, key_id, target, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET key_id = excluded.key_id, target = excluded.target, expires_at = excluded.expires_at`,
    [record.name, record.keyId, record.target, record.expiresAt],
  );
  const cap = Math.max(1, Math.floor(limits.cap));
  const count = integer(sql.all("SELECT count(*) AS count FROM resources", [])[0] ?? { count: 0 }, "count");
  if (count > cap) {
    sql.run("DELETE FROM resources WHERE name IN (SELECT name FROM resources ORDER BY expires_at, name LIMIT ?)", [count - cap]);
  }
}

/** The record of `name` unless missing or expired at `now`. */
export function selectResource(sql: SqlExecutor, name: string, now: number): ResourceRecord | null {
  const row = sql.all("SELECT name, key_id, target, expires_at FROM resources WHERE name = ? AND expires_at > ?", [name, now])[0];
  if (row === undefined) return null;
  return { name: text(row, "name"), keyId: text(row, "key_id"), target: optionalText(row, "target"), expiresAt: integer(row, "expires_at") };
}

/** Deletes the record of `name`; false when there was none. */
export function removeResource(sql: SqlExecutor, name: string): boolean {
  return sql.all("DELETE FROM resources WHERE name = ? RETURNING name", [name]).length > 0;
}
