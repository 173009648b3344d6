/**
 * The one SQL schema of gemrelay, shared by every SQL driver (better-sqlite3 on Node, the Durable
 * Object's `ctx.storage.sql` on Cloudflare). Statements are idempotent (`IF NOT EXISTS`) and run one
 * at a time, because the Durable Object API binds parameters per statement and forbids
 * transaction-control statements.
 */

/** The version of the schema below. Raise it together with a migration in `sql.ts`. */
export const schemaVersion = 1;

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

/** Small named values: settings, hashes of generated secrets, the schema version. */
const settings = `CREATE TABLE IF NOT EXISTS settings (
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

/** Reserved (no API yet): client access keys, stored as hashes only. */
const accessKeys = `CREATE TABLE IF NOT EXISTS access_keys (
  hash TEXT PRIMARY KEY,
  label TEXT,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
)`;

/** Reserved (no API yet): usage per UTC day, pool key and model. */
const usageDaily = `CREATE TABLE IF NOT EXISTS usage_daily (
  day TEXT NOT NULL,
  key TEXT NOT NULL,
  model TEXT NOT NULL,
  requests INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, key, model)
)`;

/** Every statement of the schema, in the order to run them. Each is idempotent. */
export const schemaStatements: readonly string[] = [
  settings,
  poolKeys,
  poolKeysPosition,
  cooldowns,
  cooldownsUntil,
  relayState,
  accessKeys,
  usageDaily,
];
