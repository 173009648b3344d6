import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../relays/node/sqlite-store.ts";
import { emptyUsage } from "../../shared/store/records.ts";
import { schemaVersion, schemaVersionSetting } from "../../shared/store/schema.ts";
import { SchemaVersionError } from "../../shared/store/sql.ts";
import { describeStoreConformance } from "./conformance.ts";

const directories: string[] = [];

/** A fresh directory under the system temp dir, removed after each test. */
function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), "gemrelay-store-"));
  directories.push(directory);
  return directory;
}

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describeStoreConformance("better-sqlite3", async () => {
  // A nested path proves the parent directories are created.
  const file = join(temporaryDirectory(), "data", "nested", "gemrelay.sqlite");
  let handle = openSqliteStore(file);
  return {
    store: handle.store,
    reopen: async () => {
      handle.close();
      handle = openSqliteStore(file);
      return handle.store;
    },
    close: async () => handle.close(),
  };
});

describe("openSqliteStore", () => {
  it("uses WAL mode and records the schema version", async () => {
    const file = join(temporaryDirectory(), "state.sqlite");
    const handle = openSqliteStore(file);
    expect(await handle.store.getSetting(schemaVersionSetting)).toBe(String(schemaVersion));
    handle.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(["cooldowns", "pool_keys", "settings"]));
    } finally {
      db.close();
    }
  });

  it("refuses a database written by a newer schema", () => {
    const file = join(temporaryDirectory(), "state.sqlite");
    openSqliteStore(file).close();
    const db = new Database(file);
    db.prepare("UPDATE settings SET value = ? WHERE name = ?").run(String(schemaVersion + 1), schemaVersionSetting);
    db.close();
    expect(() => openSqliteStore(file)).toThrow(SchemaVersionError);
  });

  it("upgrades a version-1 database: keeps keys, replaces the reserved tables", async () => {
    const file = join(temporaryDirectory(), "state.sqlite");
    const db = new Database(file);
    db.exec(`CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO settings VALUES ('schema_version', '1');
      CREATE TABLE pool_keys (key TEXT PRIMARY KEY, position INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'active', status_reason TEXT,
        added_at INTEGER NOT NULL, last_used_at INTEGER, requests INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT, last_failure_at INTEGER);
      INSERT INTO pool_keys (key, position, added_at) VALUES ('kept', 1, 5);
      CREATE TABLE access_keys (hash TEXT PRIMARY KEY, label TEXT, status TEXT NOT NULL DEFAULT 'active', created_at INTEGER NOT NULL, last_used_at INTEGER);
      CREATE TABLE usage_daily (day TEXT NOT NULL, key TEXT NOT NULL, model TEXT NOT NULL, requests INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0, prompt_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (day, key, model));`);
    db.close();
    const handle = openSqliteStore(file);
    try {
      expect((await handle.store.listKeys()).map((key) => key.key)).toEqual(["kept"]);
      expect(await handle.store.getSetting(schemaVersionSetting)).toBe(String(schemaVersion));
      await handle.store.recordUsage({
        daily: [{ ...emptyUsage({ day: "2026-11-01", accessKey: "env", poolKey: "p", model: "m" }), requests: 1, promptTokens: 1, completionTokens: 1 }],
        requests: [],
      });
      expect(await handle.store.listUsage("2026-11-01", "2026-11-01")).toHaveLength(1);
    } finally {
      handle.close();
    }
  });

  it("upgrades a version-2 database: usage rows stay and read 0 cached tokens", async () => {
    const file = join(temporaryDirectory(), "state.sqlite");
    const db = new Database(file);
    // usage_daily and request_log exactly as schema version 2 created them.
    db.exec(`CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO settings VALUES ('schema_version', '2');
      CREATE TABLE usage_daily (day TEXT NOT NULL, access_key TEXT NOT NULL, pool_key TEXT NOT NULL, model TEXT NOT NULL,
        requests INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0, thought_tokens INTEGER NOT NULL DEFAULT 0, resumes INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, access_key, pool_key, model));
      INSERT INTO usage_daily VALUES ('2026-11-01', 'env', 'p1', 'gemini-2.5-flash', 3, 1, 300, 40, 5, 1);
      INSERT INTO usage_daily VALUES ('2026-11-02', 'ak1', 'p2', 'gemini-2.5-pro', 1, 0, 10, 20, 0, 0);
      CREATE TABLE request_log (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, access_key TEXT NOT NULL, model TEXT NOT NULL,
        pool_key TEXT NOT NULL, relay TEXT NOT NULL, status INTEGER NOT NULL, latency_ms INTEGER NOT NULL, attempts INTEGER NOT NULL,
        resumes INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, thought_tokens INTEGER NOT NULL);
      INSERT INTO request_log VALUES (7, 1000, 'env', 'gemini-2.5-flash', 'AIza…abc', 'direct', 200, 12, 1, 0, 100, 10, 0);`);
    db.close();
    const flash = emptyUsage({ day: "2026-11-01", accessKey: "env", poolKey: "p1", model: "gemini-2.5-flash" });
    const old = [
      { ...flash, requests: 3, errors: 1, promptTokens: 300, completionTokens: 40, thoughtTokens: 5, resumes: 1 },
      { ...emptyUsage({ day: "2026-11-02", accessKey: "ak1", poolKey: "p2", model: "gemini-2.5-pro" }), requests: 1, promptTokens: 10, completionTokens: 20 },
    ];
    let handle = openSqliteStore(file);
    try {
      expect(await handle.store.getSetting(schemaVersionSetting)).toBe(String(schemaVersion));
      expect(await handle.store.listUsage("2026-11-01", "2026-11-02")).toEqual(old);
      expect((await handle.store.listRequests({ limit: 5 })).map((entry) => entry.id)).toEqual([7]);
      // New usage sums into an upgraded row, cached tokens included, and survives a reopen.
      await handle.store.recordUsage({ daily: [{ ...flash, requests: 1, promptTokens: 1_000, cachedTokens: 600 }], requests: [] });
      handle.close();
      handle = openSqliteStore(file);
      expect(await handle.store.listUsage("2026-11-01", "2026-11-01")).toEqual([{ ...old[0], requests: 4, promptTokens: 1_300, cachedTokens: 600 }]);
    } finally {
      handle.close();
    }
  });

  it("rolls back a failed batch as a whole", async () => {
    const file = join(temporaryDirectory(), "state.sqlite");
    const handle = openSqliteStore(file);
    try {
      // The second key cannot be bound, after the first was inserted: neither must remain.
      const poisoned = ["a", Symbol("unbindable") as unknown as string];
      await expect(handle.store.addKeys(poisoned, 1)).rejects.toThrow();
      expect(await handle.store.listKeys()).toEqual([]);
    } finally {
      handle.close();
    }
  });
});
