/**
 * Public types of the Gemini simulator: key behaviours, faults, recorded requests, options.
 * Everything here is plain data so that it can also travel over the HTTP control API.
 */

/**
 * How a key answers. Each non-`ok` value reproduces the body Gemini really sends (REFERENCE §2):
 * - `invalid` → 400 INVALID_ARGUMENT, ErrorInfo reason API_KEY_INVALID
 * - `suspended` → 403 PERMISSION_DENIED, ErrorInfo reason CONSUMER_SUSPENDED
 * - `rate-limit-minute` → 429, QuotaFailure `GenerateRequestsPerMinutePerProjectPerModel-FreeTier` + RetryInfo
 * - `quota-day` → 429, QuotaFailure `GenerateRequestsPerDayPerProjectPerModel-FreeTier` + RetryInfo
 * - `limit-zero` → 429 whose message says "limit: 0" (model not available on this tier)
 * - `location` → 400 FAILED_PRECONDITION "User location is not supported for the API use."
 * - `overload` → 503 UNAVAILABLE "The model is overloaded. Please try again later."
 */
export type KeyBehaviour =
  | "ok"
  | "invalid"
  | "suspended"
  | "rate-limit-minute"
  | "quota-day"
  | "limit-zero"
  | "location"
  | "overload";

/** Every {@link KeyBehaviour}, for validation and iteration. */
export const keyBehaviours: readonly KeyBehaviour[] = [
  "ok",
  "invalid",
  "suspended",
  "rate-limit-minute",
  "quota-day",
  "limit-zero",
  "location",
  "overload",
];

/** Options narrowing a behaviour to one model or one hop, and tuning its body. */
export interface BehaviourScope {
  /** Only requests for this model (with or without the `models/` prefix). */
  model?: string;
  /** Only requests that came in under `/hop/<hop>/`. */
  hop?: string;
  /** RetryInfo.retryDelay for the 429 behaviours, e.g. "37s", "750ms". Default "37s". */
  retryDelay?: string;
}

/** What the simulator calls an incoming request (Gemini method name, `models.list`/`models.get`, or `openai` for Gemini's OpenAI-compatible endpoint under `/v1beta/openai/`). */
export type Action =
  | "generateContent"
  | "streamGenerateContent"
  | "countTokens"
  | "embedContent"
  | "batchEmbedContents"
  | "models.list"
  | "models.get"
  | "openai"
  | "other";

/** Actions that consume a model's quota (counted per key, subject to 429 behaviours). */
export const quotaActions: readonly Action[] = [
  "generateContent",
  "streamGenerateContent",
  "countTokens",
  "embedContent",
  "batchEmbedContents",
];

/** One request as the simulator received it. Later fields are filled in while it is answered. */
export interface RecordedRequest {
  /** Sequence number, from 1, in arrival order. */
  id: number;
  method: string;
  /** Path without the `/hop/<id>` prefix and without the query, e.g. `/v1beta/models/gemini-2.5-flash:streamGenerateContent`. */
  path: string;
  /** Query parameters (last value wins); includes `key` when the key came in the URL. */
  query: Record<string, string>;
  /** Hop id from a `/hop/<id>/` prefix, or null. */
  hop: string | null;
  /** API key from `x-goog-api-key`, `?key=` or `Authorization: Bearer`, in that order of preference. */
  key: string | null;
  /** Whether the key was (also) present as `?key=` in the URL. */
  keyInUrl: boolean;
  /** Request headers, names lower-cased, repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Parsed JSON body, or null when there was none or it was not JSON. */
  body: unknown;
  /** The raw body text ("" when there was none). */
  rawBody: string;
  /** Model id without the `models/` prefix, or null when the path names none. */
  model: string | null;
  /** API version from the path: `v1beta`, `v1` or `v1alpha`; null for unknown paths. */
  apiVersion: string | null;
  action: Action;
  /** Arrival time, ms since the epoch (from the simulator's clock). */
  at: number;
  /** HTTP status sent, once the status line has gone out (undefined while pending or if the socket was dropped first). */
  status?: number;
  /** The fault consumed by this request, if any. */
  fault?: Fault;
  /** The key or hop behaviour that produced an error answer, if any. */
  behaviour?: KeyBehaviour;
}

/** Options every fault accepts. */
export interface FaultModifiers {
  /** Apply this fault to the next `times` matching requests (default 1). */
  times?: number;
  /** Milliseconds between stream events for this request (overrides the simulator default). */
  intervalMs?: number;
  /** Answer text for this request instead of the answer function's. */
  text?: string;
  /**
   * Prompt tokens read from a context cache: added to `promptTokenCount` (which includes them, as
   * Gemini reports it) and reported as `cachedContentTokenCount` with `cacheTokensDetails`.
   */
  cachedTokens?: number;
}

/** One function call the simulated model makes. */
export interface FunctionCallSpec {
  name: string;
  args: Record<string, unknown>;
}

/** The fault kinds; see {@link Fault}. */
export type FaultKind =
  /**
   * Visible text stops after `afterChars` answer characters. close = clean end without finishReason; reset = socket destroyed; stall = nothing more is sent until the client aborts or the simulator closes.
   * Non-text parts (media.ts) placed at or before the cut are sent; `afterParts` cuts right after that many of them instead (audio: after the n-th piece).
   */
  | { kind: "cut"; afterChars: number; mode: "close" | "reset" | "stall"; afterParts?: number }
  /** The whole answer, with a silence of `ms` after the chunk with which the text reaches `afterChars` characters (then the rest, normally). */
  | { kind: "pause"; afterChars: number; ms: number }
  /** finishReason STOP and no text at all (`content` without parts, as Gemini 2.5 Pro does; `empty-text` sends `parts: [{text: ""}]`). */
  | { kind: "empty-stop"; shape?: "no-parts" | "empty-text" }
  /** The whole text, but no chunk carries a finishReason. */
  | { kind: "no-finish" }
  /** Status 200 and `afterChars` of text, then an error object as a stream event (default: 503 overloaded), then the end. */
  | { kind: "error-in-stream"; afterChars: number; error?: Record<string, unknown> }
  /** An error answer before any byte of content. `body` defaults to Gemini's body for that status; a string body is sent verbatim. */
  | { kind: "http-error"; status: number; body?: unknown }
  /** Ends with this finishReason after `afterChars` of text (default all of it; MALFORMED_FUNCTION_CALL: none, with a finishMessage). */
  | { kind: "finish"; reason: string; afterChars?: number; message?: string }
  /** Status 200 with only `promptFeedback.blockReason` (no candidates). */
  | { kind: "block"; reason: string }
  /** Wait `ms` before the status line (or, with `afterHeaders`, between the headers and the first event), then answer normally. */
  | { kind: "first-byte-delay"; ms: number; afterHeaders?: boolean }
  /**
   * Answer with a functionCall part carrying a thoughtSignature (after `text`, if given); `parallel`
   * adds more calls to the same step, unsigned, as Gemini signs only the first call of a step.
   */
  | { kind: "function-call"; name: string; args: Record<string, unknown>; parallel?: FunctionCallSpec[] }
  /** Destroy the connection without sending anything. */
  | { kind: "hangup" }
  /** A normal answer; useful with `intervalMs`, `text` or `cachedTokens`. */
  | { kind: "pace" };

/** A fault injected into the next matching request; see {@link FaultKind} for the kinds. */
export type Fault = FaultKind & FaultModifiers;

/** Which requests a fault applies to. Omitted fields match anything. */
export interface FaultMatch {
  model?: string;
  key?: string;
  hop?: string;
  /** Default: the two generate actions (`generateContent`, `streamGenerateContent`). */
  action?: Action | Action[];
}

/** Options of {@link GeminiSimulator.start}. */
export interface SimulatorOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Characters of answer text per stream event (default 24). */
  chunkChars?: number;
  /** Milliseconds between stream events (default 0). */
  intervalMs?: number;
  /** Clock for request timestamps and per-minute counts (default Date.now). */
  now?: () => number;
}

/** Per key and model request limits enforced by the simulator (429 rate-limit-minute / quota-day when exceeded). */
export interface KeyLimits {
  requestsPerMinute?: number;
  requestsPerDay?: number;
}

/** Request counts of one key. */
export interface KeyUsage {
  /** Quota-consuming requests ever received with this key (since the last reset). */
  total: number;
  /** Those in the last 60 s. */
  lastMinute: number;
  /** Largest number seen within any 60 s window. */
  peakPerMinute: number;
  /** Totals per model. */
  byModel: Record<string, number>;
}

/** Computes the text the model answers for a request. */
export type AnswerFunction = (request: RecordedRequest) => string;
