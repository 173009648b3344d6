/**
 * The executor contract of the SQL driver and typed reads of row values, shared by `sql.ts` and
 * `sql-records.ts`.
 */

/** A value bound to a statement or read from a row. */
export type SqlValue = string | number | null | Uint8Array;

/** One synchronous SQLite connection, as both better-sqlite3 and Durable Objects offer. */
export interface SqlExecutor {
  /** Runs one statement and returns its rows (empty for statements without a result). */
  all(sql: string, params: readonly SqlValue[]): Record<string, SqlValue>[];
  /** Runs one statement, ignoring any rows. */
  run(sql: string, params: readonly SqlValue[]): void;
  /**
   * Runs `body` atomically when the platform offers it (better-sqlite3 `db.transaction`, Durable
   * Object `storage.transactionSync`). Optional: without it statements run one by one, which in a
   * Durable Object is still atomic per request thanks to write coalescing.
   */
  transaction?<T>(body: () => T): T;
}

/** A text column that may be NULL. */
export function optionalText(row: Record<string, SqlValue>, column: string): string | null {
  const value = row[column];
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  throw new TypeError(`column ${column}: expected text, got ${describe(value)}`);
}

/** A text column that must not be NULL. */
export function text(row: Record<string, SqlValue>, column: string): string {
  const value = optionalText(row, column);
  if (value === null) throw new TypeError(`column ${column}: expected text, got null`);
  return value;
}

/** An integer column that may be NULL. */
export function optionalInteger(row: Record<string, SqlValue>, column: string): number | null {
  const value = row[column];
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return value;
  throw new TypeError(`column ${column}: expected integer, got ${describe(value)}`);
}

/** An integer column that must not be NULL. */
export function integer(row: Record<string, SqlValue>, column: string): number {
  const value = optionalInteger(row, column);
  if (value === null) throw new TypeError(`column ${column}: expected integer, got null`);
  return value;
}

function describe(value: SqlValue): string {
  return value instanceof Uint8Array ? "blob" : typeof value;
}
