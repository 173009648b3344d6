/**
 * The one SQL schema of gemrelay, shared by every SQL driver (better-sqlite3 on Node, the Durable
 * Object's `ctx.storage.sql` on Cloudflare). Statements are idempotent (`IF NOT EXISTS`) and run one
 * at a time, because the Durable Object API binds parameters per statement and forbids
 * transaction-control statements.
 */

/** The version of the schema below. Raise it together with a migration in `sql.ts`. */
export const schemaVersion = 4;

/** The `settings` row that records which schema version a database holds. */
export const schemaVersionSetting = "schema_version";

/** Key pool: one row per Gemini key; `position` keeps insertion order. */
const poolKeys = `CREATE TABLE IF NOT EXISTS pool_keys (
  key TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  status_reason TEXT,
  added_at INTEGER NOT NULL,
  last_used_at INTEGER,
  requests INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  -- When the failure that set last_error happened, so that outcomes arriving out of order
  -- (Cloudflare isolates report in the background) never replace a newer error with an older one.
  last_failure_at INTEGER
)`;

const poolKeysPosition = `CREATE UNIQUE INDEX IF NOT EXISTS pool_keys_position ON pool_keys (position)`;

/** Per (key, model) cooldowns; model `*` means every model. */
const cooldowns = `CREATE TABLE IF NOT EXISTS cooldowns (
  key TEXT NOT NULL,
  model TEXT NOT NULL,
  until INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (key, model)
)`;

const cooldownsUntil = `CREATE INDEX IF NOT EXISTS cooldowns_until ON cooldowns (until)`;

/** Small named values: settings, hashes of generated secrets, the schema version. Created first. */
export const settingsTable = `CREATE TABLE IF NOT EXISTS settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
)`;

/** Reserved (no API yet): egress relay health, keyed by the manifest's relay id. */
const relayState = `CREATE TABLE IF NOT EXISTS relay_state (
  id TEXT PRIMARY KEY,
  circuit_open_until INTEGER,
  requests INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  last_used_at INTEGER,
  last_error TEXT
)`;

/** Client access keys, stored as SHA-256 hashes only (the secret is shown once at creation). */
const accessKeys = `CREATE TABLE IF NOT EXISTS access_keys (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  hint TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  -- JSON array of model ids or prefixes ending in '*'; empty for every model.
  models TEXT NOT NULL DEFAULT '[]',
  requests_per_minute INTEGER,
  revoked_at INTEGER
)`;

/** Usage per UTC day, access key, pool key id (never the key) and model. */
const usageDaily = `CREATE TABLE IF NOT EXISTS usage_daily (
  day TEXT NOT NULL,
  access_key TEXT NOT NULL,
  pool_key TEXT NOT NULL,
  model TEXT NOT NULL,
  requests INTEGER NOT NULL DEFAULT 0,
  errors INTEGER NOT NULL DEFAULT 0,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  -- The part of prompt_tokens read from a context cache (added in version 3).
  cached_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  thought_tokens INTEGER NOT NULL DEFAULT 0,
  resumes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, access_key, pool_key, model)
)`;

/** The bounded request log: what happened to each client request, never its content. */
const requestLog = `CREATE TABLE IF NOT EXISTS request_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  access_key TEXT NOT NULL,
  model TEXT NOT NULL,
  pool_key TEXT NOT NULL,
  relay TEXT NOT NULL,
  status INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  resumes INTEGER NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  thought_tokens INTEGER NOT NULL
)`;

const requestLogAt = `CREATE INDEX IF NOT EXISTS request_log_at ON request_log (at)`;

/**
 * Which pool key (by id, never the key) holds a Gemini resource or an upload session (version 4;
 * an older database gets the table from this idempotent statement). Bounded by expiry and a cap.
 */
const resources = `CREATE TABLE IF NOT EXISTS resources (
  name TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  target TEXT,
  expires_at INTEGER NOT NULL
)`;

const resourcesExpiry = `CREATE INDEX IF NOT EXISTS resources_expires_at ON resources (expires_at)`;

/**
 * Tables that schema version 1 created with another shape and never wrote (they were reserved):
 * a version-1 database drops them before the statements below recreate them.
 */
export const reservedInVersion1: readonly string[] = ["access_keys", "usage_daily"];

/**
 * Columns version 3 added to tables version 2 created: a version-2 database gets them by these
 * statements, its rows keeping their values and reading the new columns' defaults.
 */
export const addedInVersion3: readonly string[] = ["ALTER TABLE usage_daily ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0"];

/** Every statement of the schema, in the order to run them. Each is idempotent. */
export const schemaStatements: readonly string[] = [
  settingsTable,
  poolKeys,
  poolKeysPosition,
  cooldowns,
  cooldownsUntil,
  relayState,
  accessKeys,
  usageDaily,
  requestLog,
  requestLogAt,
  resources,
  resourcesExpiry,
];
