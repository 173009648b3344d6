/**
 * `gemrelay migrate --from data/gemrelay.sqlite --to redis://…`: copies a self-host's SQLite state
 * into Redis once, before switching the instances to REDIS_URL (README "Scale out with Redis").
 */
import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { copyStore } from "../relays/node/migrate.ts";
import { redactUrl } from "../relays/node/redis-cluster.ts";
import { RedisStore } from "../relays/node/redis-store.ts";
import { openSqliteStore } from "../relays/node/sqlite-store.ts";
import { schemaVersionSetting } from "../shared/store/schema.ts";
import { type Command, UsageError } from "./cli-command.ts";

/** The `migrate` subcommand. */
export const migrateCommand: Command = {
  summary: "copy a self-host's SQLite state into Redis (once, before using REDIS_URL)",
  usage: [
    "gemrelay migrate --from <data/gemrelay.sqlite> --to <redis://host:6379> [--prefix <name>]",
    "",
    "Copies pool keys (order, status, counters, running cooldowns), access keys, settings, daily",
    "usage, the request log and resource records (which key holds each file, cache, batch, upload",
    "session and Live token). The target must hold no keys yet. Stop the SQLite instance first.",
    "",
    "  --from <file>       the SQLite file (DATA_DIR/gemrelay.sqlite)",
    "  --to <url>          the Redis URL the instances will use as REDIS_URL",
    "  --prefix <name>     Redis key prefix (default: $REDIS_PREFIX, else gemrelay)",
  ].join("\n"),
  options: { from: { type: "string" }, to: { type: "string" }, prefix: { type: "string" } },
  async run(values) {
    const from = values.from as string | undefined;
    const to = values.to as string | undefined;
    if (!from || !to) throw new UsageError("--from and --to are required");
    if (!existsSync(from)) throw new UsageError(`--from: no such file ${from}`);
    const prefix = (values.prefix as string | undefined) ?? (process.env.REDIS_PREFIX?.trim() || "gemrelay");
    // Opened first: it brings an older file's schema up to date (the resources table).
    const source = openSqliteStore(from);
    const settingsDb = new Database(from, { readonly: true });
    const settings = (settingsDb.prepare("SELECT name, value FROM settings WHERE name <> ?").all(schemaVersionSetting) as { name: string; value: string }[]).map(
      (row) => [row.name, row.value] as const,
    );
    const resources = (
      settingsDb.prepare("SELECT name, key_id, target, expires_at FROM resources WHERE expires_at > ?").all(Date.now()) as { name: string; key_id: string; target: string | null; expires_at: number }[]
    ).map((row) => ({ name: row.name, keyId: row.key_id, target: row.target, expiresAt: Number(row.expires_at) }));
    settingsDb.close();
    const redis = new Redis(to, { maxRetriesPerRequest: 1, retryStrategy: () => null });
    try {
      const report = await copyStore(source.store, new RedisStore(redis, { prefix }), { settings, resources }, Date.now());
      console.log(
        `Copied into ${redactUrl(to)} (prefix ${prefix}): ${report.keys} pool keys, ${report.cooldowns} cooldowns, ${report.accessKeys} access keys, ` +
          `${report.settings} settings, ${report.usageRows} usage rows, ${report.requests} logged requests, ${report.resources} resource records.`,
      );
      return 0;
    } finally {
      source.close();
      redis.disconnect();
    }
  },
};
