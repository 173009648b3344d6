/**
 * Who is to blame for a failed upstream attempt, and what to do next (REFERENCE.md §2).
 * Input: HTTP status, the error body as text (JSON, JSON wrapped in an array, or the legacy text
 * renderings seen in the wild), whether the relay itself reported the fault.
 */
import { z } from "zod";

/** The decision for one failed attempt. */
export type Classification =
  /** The key is unusable (invalid, expired, suspended, API disabled): disable it. */
  | { kind: "key-invalid"; reason: string }
  /** The key may not serve this model until `until` (epoch ms); `reported`: the limits Gemini named. */
  | { kind: "key-cooldown"; reason: string; until: number; reported?: ReportedLimits }
  /** The egress path failed (connect error, relay's own error, unsupported location). */
  | { kind: "relay-fault"; reason: string; quarantine: boolean }
  /** Gemini had a passing problem: retry on another pair after a backoff, no penalty. */
  | { kind: "transient"; reason: string }
  /** The request itself is wrong: return the upstream's answer unchanged. */
  | { kind: "client-error"; reason: string };

/** The project's limits a 429 names in its QuotaFailure (`quotaId` + `quotaValue`), for the budgets. */
export interface ReportedLimits {
  rpm?: number;
  rpd?: number;
  tpm?: number;
}

const detailSchema = z.looseObject({
  "@type": z.string().optional(),
  reason: z.string().optional(),
  retryDelay: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  violations: z.array(z.looseObject({ quotaId: z.string().optional(), quotaValue: z.string().optional() })).optional(),
});

const errorSchema = z.looseObject({
  code: z.number().optional(),
  message: z.string().optional(),
  status: z.string().optional(),
  details: z.array(detailSchema).optional(),
});

/** Google's error object as far as classification needs it. */
export type GoogleError = z.infer<typeof errorSchema>;

/** Parses `{"error": …}` or `[{"error": …}]`; null when the text is neither. */
export function parseGoogleError(text: string): GoogleError | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const object = Array.isArray(value) ? value[0] : value;
  const parsed = z.object({ error: errorSchema }).safeParse(object);
  return parsed.success ? parsed.data.error : null;
}

/** Parses a protobuf Duration string ("37s", "57.238747106s", "750ms", "1m") into milliseconds. */
export function parseRetryDelay(value: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!match) return null;
  const amount = Number(match[1]);
  const unit = match[2] ?? "s";
  const factor = unit === "ms" ? 1 : unit === "s" ? 1_000 : unit === "m" ? 60_000 : 3_600_000;
  return Math.round(amount * factor);
}

const pacificParts = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/Los_Angeles",
  hourCycle: "h23",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
});

function pacificClock(at: number): { hour: number; minute: number; second: number } {
  const parts = Object.fromEntries(pacificParts.formatToParts(at).map((part) => [part.type, Number(part.value)]));
  return { hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0 };
}

/** The next midnight in America/Los_Angeles after `now`, when Gemini's per-day quotas reset. */
export function nextPacificMidnight(now: number): number {
  const { hour, minute, second } = pacificClock(now);
  const sinceMidnight = ((hour * 60 + minute) * 60 + second) * 1_000 + (now % 1_000);
  let candidate = now - sinceMidnight + 86_400_000;
  // Days of 23 or 25 hours (daylight saving) put the estimate an hour off: correct it.
  const check = pacificClock(candidate).hour;
  if (check === 23) candidate += 3_600_000;
  else if (check === 1) candidate -= 3_600_000;
  return candidate;
}

/** Cooldown tuning; defaults follow REFERENCE.md §2. */
export interface CooldownPolicy {
  /** Added to RetryInfo delays so the key is not retried a hair too early. */
  marginMs: number;
  /** Upper bound for a RetryInfo-driven cooldown. */
  maxRetryDelayMs: number;
  /** A 429 without details ("Resource has been exhausted"). */
  bareQuotaMs: number;
  /** "limit: 0": the model is not available on this key's tier. */
  zeroLimitMs: number;
}

/** Default cooldowns. */
export const defaultCooldownPolicy: CooldownPolicy = {
  marginMs: 1_000,
  maxRetryDelayMs: 15 * 60_000,
  bareQuotaMs: 60_000,
  zeroLimitMs: 6 * 3_600_000,
};

const keyInvalidReasons = new Set(["API_KEY_INVALID", "API_KEY_EXPIRED", "CONSUMER_SUSPENDED", "SERVICE_DISABLED", "API_KEY_SERVICE_BLOCKED", "ACCESS_TOKEN_EXPIRED"]);
const keyInvalidMessage = /api key (not valid|expired|not found)|consumer .* has been suspended|has been suspended|leaked|unregistered callers|has not been used in project|is disabled/i;

/** The non-zero limits named by `violations`: requests per minute or day, input tokens per minute. */
function reportedLimits(violations: readonly { quotaId?: string | undefined; quotaValue?: string | undefined }[]): ReportedLimits | undefined {
  const reported: ReportedLimits = {};
  for (const { quotaId = "", quotaValue } of violations) {
    const value = Number(quotaValue);
    if (!Number.isSafeInteger(value) || value <= 0) continue;
    if (/InputToken/i.test(quotaId) && /PerMinute/i.test(quotaId)) reported.tpm = value;
    else if (/Request/i.test(quotaId) && /PerMinute/i.test(quotaId)) reported.rpm = value;
    else if (/Request/i.test(quotaId) && /PerDay/i.test(quotaId)) reported.rpd = value;
  }
  return Object.keys(reported).length > 0 ? reported : undefined;
}

function classifyQuota(error: GoogleError | null, text: string, now: number, policy: CooldownPolicy): Classification {
  const details = error?.details ?? [];
  const reason = details.find((detail) => detail.reason)?.reason;
  if (reason === "MODEL_CAPACITY_EXHAUSTED") return { kind: "transient", reason: "capacity" };
  const violations = details.flatMap((detail) => detail.violations ?? []);
  const quotaIds = violations.map((violation) => violation.quotaId ?? "");
  const reported = reportedLimits(violations);
  const named = reported === undefined ? {} : { reported };
  const zeroLimit =
    /limit: 0\b/.test(text) ||
    /quota_limit_value"?\s*[:=]?\s*(value:\s*)?"0"/.test(text) ||
    details.some((detail) => detail.violations?.some((violation) => violation.quotaValue === "0"));
  if (zeroLimit) return { kind: "key-cooldown", reason: "limit-zero", until: now + policy.zeroLimitMs };
  if (quotaIds.some((id) => /PerDay/i.test(id)) || /PerDay/.test(text)) {
    return { kind: "key-cooldown", reason: "per-day-quota", until: nextPacificMidnight(now), ...named };
  }
  const delayText =
    details.find((detail) => detail.retryDelay)?.retryDelay ?? /retry in (\d+(?:\.\d+)?(?:ms|s))/i.exec(text)?.[1] ?? /retryDelay'?"?:\s*'?"?(\d+(?:\.\d+)?(?:ms|s))/.exec(text)?.[1];
  const delay = delayText ? parseRetryDelay(delayText) : null;
  if (delay !== null) {
    return { kind: "key-cooldown", reason: "retry-info", until: now + Math.min(delay + policy.marginMs, policy.maxRetryDelayMs), ...named };
  }
  return { kind: "key-cooldown", reason: "quota", until: now + policy.bareQuotaMs, ...named };
}

/**
 * Classifies a non-2xx upstream answer. `relayFault` is true when the relay itself answered with
 * an error (its `x-gemrelay-fault: relay` header, or a 401 for a wrong hop secret).
 */
export function classifyFailure(
  status: number,
  text: string,
  relayFault: boolean,
  now: number,
  policy: CooldownPolicy = defaultCooldownPolicy,
): Classification {
  if (relayFault) return { kind: "relay-fault", reason: `relay-${status}`, quarantine: false };
  const error = parseGoogleError(text);
  const message = error?.message ?? text;
  const reasons = (error?.details ?? []).map((detail) => detail.reason ?? "");
  if (/user location is not supported/i.test(message)) return { kind: "relay-fault", reason: "location", quarantine: true };
  if (reasons.some((reason) => keyInvalidReasons.has(reason))) {
    return { kind: "key-invalid", reason: reasons.find((reason) => keyInvalidReasons.has(reason)) ?? "invalid" };
  }
  if ((status === 400 || status === 401 || status === 403) && keyInvalidMessage.test(message)) {
    return { kind: "key-invalid", reason: error?.status ?? `HTTP ${status}` };
  }
  if (status === 429) return classifyQuota(error, text, now, policy);
  if (status === 408 || status >= 500) return { kind: "transient", reason: error?.status ?? `HTTP ${status}` };
  return { kind: "client-error", reason: error?.status ?? `HTTP ${status}` };
}
