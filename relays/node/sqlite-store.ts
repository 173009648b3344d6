/**
 * Self-host state: the shared SQL driver over a better-sqlite3 file under DATA_DIR.
 */

import { dirname } from "node:path";
import Database from "better-sqlite3";
import { SqlStore, type SqlExecutor, type SqlValue } from "../../shared/store/sql.ts";
import { ensurePrivateDirectory, ensurePrivateFile } from "./private-files.ts";

/** An open SQLite-backed store and the way to release its file. */
export interface SqliteStoreHandle {
  store: SqlStore;
  /** Closes the database; the store must not be used afterwards. */
  close(): void;
}

/**
 * Opens (creating when missing, with its parent directory: 0600 and 0700, see private-files.ts;
 * SQLite gives `-wal` and `-shm` the database's mode) the SQLite file at `file` in WAL mode,
 * so that readers never block the writer, with a busy timeout in case a second process (an
 * admin CLI) holds the lock for a moment.
 */
export function openSqliteStore(file: string): SqliteStoreHandle {
  if (file !== ":memory:") {
    ensurePrivateDirectory(dirname(file));
    ensurePrivateFile(file);
  }
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    // With WAL, NORMAL loses at most the last commits on power loss, never consistency.
    db.pragma("synchronous = NORMAL");
    // Deleted and replaced rows are zeroed, so a key removed (or sealed under ENCRYPTION_KEY)
    // does not linger in free pages of the file.
    db.pragma("secure_delete = ON");
    return { store: new SqlStore(betterSqliteExecutor(db)), close: () => db.close() };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Adapts a better-sqlite3 connection to {@link SqlExecutor}, caching prepared statements. */
export function betterSqliteExecutor(db: Database.Database): SqlExecutor {
  const statements = new Map<string, Database.Statement<unknown[]>>();
  const prepare = (sql: string): Database.Statement<unknown[]> => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare<unknown[]>(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    all(sql, params) {
      const statement = prepare(sql);
      if (!statement.reader) {
        statement.run(...params);
        return [];
      }
      return statement.all(...params) as Record<string, SqlValue>[];
    },
    run(sql, params) {
      prepare(sql).run(...params);
    },
    transaction(body) {
      return db.transaction(body)();
    },
  };
}
