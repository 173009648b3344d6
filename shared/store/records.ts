/**
 * Records the Store keeps besides the key pool: client access keys, daily usage and the bounded
 * request log. Plain data, so that every driver (and the Durable Object RPC) carries them as is.
 */

/** A client access key. Only the SHA-256 of the secret is kept; the secret is shown once at creation. */
export interface AccessKeyRecord {
  /** Public, stable id used by the admin API (a prefix of `hash`). */
  id: string;
  /** SHA-256 of the secret, lowercase hex. */
  hash: string;
  name: string;
  /** The secret masked (`sk-g…x9Q`), so an admin can tell keys apart. */
  hint: string;
  createdAt: number;
  /** Epoch ms after which the key no longer authenticates; null for never. */
  expiresAt: number | null;
  /** Models the key may use (exact ids, or a prefix ending in `*`); empty for every model. */
  models: string[];
  /** Requests per minute allowed to this key; null for unlimited. */
  requestsPerMinute: number | null;
  /** When the key was revoked; null while it is valid. */
  revokedAt: number | null;
}

/** Counters to add to one (day, access key, pool key, model) row of the daily usage. */
export interface UsageDelta {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  /** Access key id, `env` for AUTH_KEY keys, `pass-through` for clients with their own key. */
  accessKey: string;
  /** Pool key id (never the key itself), or an empty string when no key was reached. */
  poolKey: string;
  model: string;
  requests: number;
  errors: number;
  /** Prompt tokens, cached ones included (Gemini's promptTokenCount). */
  promptTokens: number;
  /** The part of `promptTokens` read from a context cache (cachedContentTokenCount), billed at the cached price. */
  cachedTokens: number;
  completionTokens: number;
  thoughtTokens: number;
  resumes: number;
}

/** One row of daily usage: the sums of every delta recorded for its (day, access key, pool key, model). */
export type UsageRow = UsageDelta;

/** One client request as the request log keeps it: what happened, never what was said. */
export interface RequestLogEntry {
  /** When the request arrived (epoch ms). */
  at: number;
  accessKey: string;
  model: string;
  /** The pool key that answered, masked. */
  poolKey: string;
  /** Egress id of the last attempt, or an empty string. */
  relay: string;
  status: number;
  latencyMs: number;
  attempts: number;
  resumes: number;
  promptTokens: number;
  completionTokens: number;
  thoughtTokens: number;
}

/** A request log entry with the id the Store gave it (increasing with insertion). */
export interface LoggedRequest extends RequestLogEntry {
  id: number;
}

/** What one background flush writes: daily counters and request log entries. */
export interface UsageBatch {
  daily: UsageDelta[];
  requests: RequestLogEntry[];
}

/** How much usage history to keep. */
export interface UsageRetention {
  /** Daily rows of days before this UTC day (`YYYY-MM-DD`) are removed, and log entries older than its start. */
  beforeDay: string;
  /** The request log keeps at most this many newest entries. */
  maxRequests: number;
}

/** A row of `dimensions` with every counter at 0. Shared by the drivers and the admin sums. */
export function emptyUsage(dimensions: Pick<UsageRow, "day" | "accessKey" | "poolKey" | "model">): UsageRow {
  return { ...dimensions, requests: 0, errors: 0, promptTokens: 0, cachedTokens: 0, completionTokens: 0, thoughtTokens: 0, resumes: 0 };
}

/** Adds `delta`'s counters to `row` (same dimensions), returning `row`. Shared by the drivers. */
export function addUsage(row: UsageRow, delta: UsageDelta): UsageRow {
  row.requests += delta.requests;
  row.errors += delta.errors;
  row.promptTokens += delta.promptTokens;
  row.cachedTokens += delta.cachedTokens;
  row.completionTokens += delta.completionTokens;
  row.thoughtTokens += delta.thoughtTokens;
  row.resumes += delta.resumes;
  return row;
}

/** The UTC day of an instant, `YYYY-MM-DD`. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/**
 * Which pool key holds a Gemini resource (a file, a cached content, a batch, an operation, a
 * tuned model) or a resumable upload session: such things belong to the Google project of the key
 * that created them, so every later request naming one must go out with that key.
 */
export interface ResourceRecord {
  /**
   * The resource name as Google spells it (`files/abc`), `upload-sessions/{hash of the token}`,
   * or `live-tokens/{hash of the ephemeral token}`.
   */
  name: string;
  /** The pool key's id (keys/identity.ts), never the key itself. */
  keyId: string;
  /**
   * Upload sessions: Google's upload path and query to forward the chunks to; Live tokens: the
   * access key that created the token (shared/live/tokens.ts); null for resources.
   */
  target: string | null;
  /** Epoch ms after which the record is forgotten (the resource's own expiry, or a bound). */
  expiresAt: number;
}

/** Bounds applied on every {@link ResourceRecord} write. */
export interface ResourceLimits {
  /** Records that expired before this instant are removed. */
  now: number;
  /** At most this many records are kept; beyond it the ones expiring soonest go first. */
  cap: number;
}
