/**
 * The SQL side of access keys, usage and the request log, as functions over a {@link SqlExecutor}
 * so that `sql.ts` stays about the key pool. Same Durable Object limits: one statement per call,
 * few bound parameters per statement.
 */
import type { AccessKeyRecord, LoggedRequest, UsageBatch, UsageRetention, UsageRow } from "./records.ts";
import { integer, optionalInteger, text, type SqlExecutor, type SqlValue } from "./sql-values.ts";

const accessKeyColumns = "id, hash, name, hint, created_at, expires_at, models, requests_per_minute, revoked_at";

/** Inserts an access key unless its id or hash exists. */
export function insertAccessKey(sql: SqlExecutor, record: AccessKeyRecord): boolean {
  const rows = sql.all(
    `INSERT INTO access_keys (${accessKeyColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING RETURNING id`,
    [
      record.id,
      record.hash,
      record.name,
      record.hint,
      record.createdAt,
      record.expiresAt,
      JSON.stringify(record.models),
      record.requestsPerMinute,
      record.revokedAt,
    ],
  );
  return rows.length > 0;
}

/** Every access key, oldest first (ties by id, so the order is stable). */
export function selectAccessKeys(sql: SqlExecutor): AccessKeyRecord[] {
  return sql.all(`SELECT ${accessKeyColumns} FROM access_keys ORDER BY created_at, id`, []).map((row) => ({
    id: text(row, "id"),
    hash: text(row, "hash"),
    name: text(row, "name"),
    hint: text(row, "hint"),
    createdAt: integer(row, "created_at"),
    expiresAt: optionalInteger(row, "expires_at"),
    models: parseModels(text(row, "models")),
    requestsPerMinute: optionalInteger(row, "requests_per_minute"),
    revokedAt: optionalInteger(row, "revoked_at"),
  }));
}

/** Sets `revoked_at` once; false when the key is unknown or already revoked. */
export function markAccessKeyRevoked(sql: SqlExecutor, id: string, at: number): boolean {
  return sql.all("UPDATE access_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id", [at, id]).length > 0;
}

/** Sums daily deltas into their rows and appends the log entries. */
export function insertUsage(sql: SqlExecutor, batch: UsageBatch): void {
  for (const delta of batch.daily) {
    sql.run(
      `INSERT INTO usage_daily (day, access_key, pool_key, model, requests, errors, prompt_tokens, cached_tokens, completion_tokens, thought_tokens, resumes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (day, access_key, pool_key, model) DO UPDATE SET
         requests = requests + excluded.requests,
         errors = errors + excluded.errors,
         prompt_tokens = prompt_tokens + excluded.prompt_tokens,
         cached_tokens = cached_tokens + excluded.cached_tokens,
         completion_tokens = completion_tokens + excluded.completion_tokens,
         thought_tokens = thought_tokens + excluded.thought_tokens,
         resumes = resumes + excluded.resumes`,
      [
        delta.day,
        delta.accessKey,
        delta.poolKey,
        delta.model,
        delta.requests,
        delta.errors,
        delta.promptTokens,
        // An isolate still running the previous version sends no cached count during a deploy.
        delta.cachedTokens ?? 0,
        delta.completionTokens,
        delta.thoughtTokens,
        delta.resumes,
      ],
    );
  }
  for (const entry of batch.requests) {
    sql.run(
      `INSERT INTO request_log (at, access_key, model, pool_key, relay, status, latency_ms, attempts, resumes, prompt_tokens, completion_tokens, thought_tokens)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        entry.at,
        entry.accessKey,
        entry.model,
        entry.poolKey,
        entry.relay,
        entry.status,
        entry.latencyMs,
        entry.attempts,
        entry.resumes,
        entry.promptTokens,
        entry.completionTokens,
        entry.thoughtTokens,
      ],
    );
  }
}

/** Daily rows in a day range, ordered by day, access key, pool key, model. */
export function selectUsage(sql: SqlExecutor, fromDay: string, toDay: string): UsageRow[] {
  const rows = sql.all(
    `SELECT day, access_key, pool_key, model, requests, errors, prompt_tokens, cached_tokens, completion_tokens, thought_tokens, resumes
     FROM usage_daily WHERE day >= ? AND day <= ? ORDER BY day, access_key, pool_key, model`,
    [fromDay, toDay],
  );
  return rows.map((row) => ({
    day: text(row, "day"),
    accessKey: text(row, "access_key"),
    poolKey: text(row, "pool_key"),
    model: text(row, "model"),
    requests: integer(row, "requests"),
    errors: integer(row, "errors"),
    promptTokens: integer(row, "prompt_tokens"),
    cachedTokens: integer(row, "cached_tokens"),
    completionTokens: integer(row, "completion_tokens"),
    thoughtTokens: integer(row, "thought_tokens"),
    resumes: integer(row, "resumes"),
  }));
}

/** Newest log entries first, optionally before an id. */
export function selectRequests(sql: SqlExecutor, limit: number, before: number | null): LoggedRequest[] {
  const rows = sql.all(
    `SELECT id, at, access_key, model, pool_key, relay, status, latency_ms, attempts, resumes, prompt_tokens, completion_tokens, thought_tokens
     FROM request_log WHERE id < ? ORDER BY id DESC LIMIT ?`,
    [before ?? Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(limit))],
  );
  return rows.map((row) => ({
    id: integer(row, "id"),
    at: integer(row, "at"),
    accessKey: text(row, "access_key"),
    model: text(row, "model"),
    poolKey: text(row, "pool_key"),
    relay: text(row, "relay"),
    status: integer(row, "status"),
    latencyMs: integer(row, "latency_ms"),
    attempts: integer(row, "attempts"),
    resumes: integer(row, "resumes"),
    promptTokens: integer(row, "prompt_tokens"),
    completionTokens: integer(row, "completion_tokens"),
    thoughtTokens: integer(row, "thought_tokens"),
  }));
}

/** Applies the retention: old days, old log entries, and log entries beyond the newest `maxRequests`. */
export function deleteOldUsage(sql: SqlExecutor, retention: UsageRetention): void {
  sql.run("DELETE FROM usage_daily WHERE day < ?", [retention.beforeDay]);
  sql.run("DELETE FROM request_log WHERE at < ?", [Date.parse(`${retention.beforeDay}T00:00:00Z`)]);
  const keep = Math.max(0, Math.floor(retention.maxRequests));
  const boundary: Record<string, SqlValue> | undefined = sql.all("SELECT id FROM request_log ORDER BY id DESC LIMIT 1 OFFSET ?", [keep])[0];
  if (boundary) sql.run("DELETE FROM request_log WHERE id <= ?", [integer(boundary, "id")]);
}

function parseModels(value: string): string[] {
  const parsed: unknown = JSON.parse(value);
  if (!Array.isArray(parsed) || !parsed.every((item): item is string => typeof item === "string")) {
    throw new TypeError("column models: expected a JSON array of strings");
  }
  return parsed;
}
