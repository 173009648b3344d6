/**
 * Gemini error bodies, `{"error": {code, message, status, details?}}`. Where a real capture
 * exists it is used verbatim (test/sim/fixtures/, copied from test/fixtures/gemini-wire/ with
 * the source comment stripped); the rest follow the captures quoted in REFERENCE.md §2.
 */
import apiKeyInvalid from "./fixtures/error_400_INVALID_ARGUMENT_API_KEY_INVALID.json" with { type: "json" };
import userLocation from "./fixtures/error_400_FAILED_PRECONDITION_user_location.json" with { type: "json" };
import missingThoughtSignature from "./fixtures/error_400_missing_thought_signature.json" with { type: "json" };
import unregisteredCaller from "./fixtures/error_403_PERMISSION_DENIED_unregistered_caller.json" with { type: "json" };
import quotaFailure from "./fixtures/error_429_RESOURCE_EXHAUSTED_QuotaFailure_Help_RetryInfo.json" with { type: "json" };
import internal from "./fixtures/error_500_INTERNAL.json" with { type: "json" };
import overloaded from "./fixtures/error_503_UNAVAILABLE_overloaded.json" with { type: "json" };
import type { KeyBehaviour } from "./types.ts";

/** A complete HTTP answer: a status and a body, JSON (objects) or verbatim text (strings). Errors and small successes alike. */
export interface HttpAnswer {
  status: number;
  body: unknown;
  /** Defaults to `application/json; charset=UTF-8`. */
  contentType?: string;
  /** Extra response headers (the upload protocol's `x-goog-upload-*`). */
  headers?: Record<string, string>;
}

/** The content type Google sends with JSON bodies, errors included. */
export const jsonContentType = "application/json; charset=UTF-8";

/** A fresh copy, so that callers may not alter the fixtures. */
function copy<T>(value: T): T {
  return structuredClone(value);
}

/** Canonical Google status names by HTTP status. */
const statusNames: Readonly<Record<number, string>> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "UNIMPLEMENTED",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

/** `{"error": {...}}` with the canonical status name for `code`. */
export function googleError(code: number, message: string, details?: unknown[], status?: string): HttpAnswer {
  const error: Record<string, unknown> = { code, message, status: status ?? statusNames[code] ?? "UNKNOWN" };
  if (details !== undefined) error.details = details;
  return { status: code, body: { error } };
}

/** 403 for a request without any key (fixture). */
export function unregisteredCallerError(): HttpAnswer {
  return { status: 403, body: copy(unregisteredCaller) };
}

/** 400 API_KEY_INVALID (fixture), for unknown keys and the `invalid` behaviour. */
export function apiKeyInvalidError(): HttpAnswer {
  return { status: 400, body: copy(apiKeyInvalid) };
}

/** 400 FAILED_PRECONDITION "User location is not supported for the API use." (fixture). */
export function userLocationError(): HttpAnswer {
  return { status: 400, body: copy(userLocation) };
}

/** 503 UNAVAILABLE "The model is overloaded. Please try again later." (fixture). */
export function overloadedError(): HttpAnswer {
  return { status: 503, body: copy(overloaded) };
}

/** 500 INTERNAL (fixture). */
export function internalError(): HttpAnswer {
  return { status: 500, body: copy(internal) };
}

/** 403 CONSUMER_SUSPENDED, as in google/generative-ai-docs#356 and continuedev/continue#10902. */
export function suspendedError(key: string): HttpAnswer {
  const message = `Permission denied: Consumer 'api_key:${key}' has been suspended.`;
  return googleError(403, message, [
    {
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: "CONSUMER_SUSPENDED",
      domain: "googleapis.com",
      metadata: {
        consumer: `projects/${projectNumber(key)}`,
        service: "generativelanguage.googleapis.com",
        containerInfo: `api_key:${key}`,
      },
    },
    { "@type": "type.googleapis.com/google.rpc.LocalizedMessage", locale: "en-US", message },
  ]);
}

/** A stable fake Google project number for a key. */
function projectNumber(key: string): string {
  let hash = 7;
  for (const char of key) hash = (hash * 31 + char.charCodeAt(0)) % 900_000_000_000;
  return String(100_000_000_000 + hash);
}

/** Seconds in a protobuf Duration string ("37s", "57.238s", "750ms"). */
export function durationSeconds(duration: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(duration.trim());
  if (!match) return 37;
  const amount = Number(match[1]);
  return match[2] === "ms" ? amount / 1000 : amount;
}

/** One QuotaFailure violation. */
interface Violation {
  quotaMetric: string;
  quotaId: string;
  quotaDimensions: { location: string; model: string };
  quotaValue: string;
}

const requestsMetric = "generativelanguage.googleapis.com/generate_content_free_tier_requests";
const helpDetail = quotaFailure.error.details.find((detail) => detail["@type"].endsWith("google.rpc.Help"));

/** A 429 RESOURCE_EXHAUSTED in the 2025+ style: message listing the limits, then QuotaFailure, Help, RetryInfo (fixture order). */
function quotaError(model: string, violations: Violation[], retryDelay: string): HttpAnswer {
  const lines = violations.map(
    (violation) => `* Quota exceeded for metric: ${violation.quotaMetric}, limit: ${violation.quotaValue}, model: ${model}`,
  );
  const message =
    `${quotaFailure.error.message} To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n` +
    `${lines.join("\n")}\nPlease retry in ${durationSeconds(retryDelay)}s.`;
  return googleError(429, message, [
    { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations },
    copy(helpDetail),
    { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay },
  ]);
}

function violation(quotaId: string, model: string, quotaValue: string): Violation {
  return { quotaMetric: requestsMetric, quotaId, quotaDimensions: { location: "global", model }, quotaValue };
}

/** 429 for the per-minute request quota of a free-tier key. */
export function rateLimitMinuteError(model: string, retryDelay = "37s", limit = 10): HttpAnswer {
  return quotaError(model, [violation("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", model, String(limit))], retryDelay);
}

/** 429 for the per-day request quota of a free-tier key. */
export function quotaDayError(model: string, retryDelay = "37s", limit = 250): HttpAnswer {
  return quotaError(model, [violation("GenerateRequestsPerDayPerProjectPerModel-FreeTier", model, String(limit))], retryDelay);
}

/** 429 "limit: 0": the model is not available on the key's tier (google-gemini/gemini-cli#22486). */
export function limitZeroError(model: string, retryDelay = "37s"): HttpAnswer {
  return quotaError(
    model,
    [
      violation("GenerateRequestsPerDayPerProjectPerModel-FreeTier", model, "0"),
      violation("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", model, "0"),
    ],
    retryDelay,
  );
}

/** The error a non-`ok` behaviour answers with. */
export function behaviourError(behaviour: Exclude<KeyBehaviour, "ok">, key: string, model: string, retryDelay?: string, limit?: number): HttpAnswer {
  switch (behaviour) {
    case "invalid":
      return apiKeyInvalidError();
    case "suspended":
      return suspendedError(key);
    case "rate-limit-minute":
      return rateLimitMinuteError(model, retryDelay, limit);
    case "quota-day":
      return quotaDayError(model, retryDelay, limit);
    case "limit-zero":
      return limitZeroError(model, retryDelay);
    case "location":
      return userLocationError();
    case "overload":
      return overloadedError();
  }
}

/** 404 for an unknown model, or one that does not support `method`. */
export function modelNotFoundError(model: string, apiVersion: string, method: string): HttpAnswer {
  return googleError(
    404,
    `models/${model} is not found for API version ${apiVersion}, or is not supported for ${method}. ` +
      "Call ListModels to see the list of available models and their supported methods.",
  );
}

/** 400 for a body that is not JSON, in the style of Google's protobuf JSON parser. */
export function invalidJsonError(raw: string): HttpAnswer {
  const firstLine = raw.split(/\r?\n/, 1)[0] ?? "";
  const excerpt = firstLine.length > 40 ? firstLine.slice(0, 40) : firstLine;
  const description = `Invalid JSON payload received. Unexpected token.\n${excerpt}\n^`;
  return googleError(400, description, [
    { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ description }] },
  ]);
}

/** 400 for a request whose required field is missing, e.g. `contents`. */
export function missingFieldError(requestType: string, field: string): HttpAnswer {
  return googleError(400, `* ${requestType}.${field}: ${field} is not specified\n`);
}

/** 400 when a Gemini 3 request replays a functionCall without its thoughtSignature (fixture wording). */
export function missingThoughtSignatureError(functionName: string, position: number): HttpAnswer {
  const body = copy(missingThoughtSignature);
  body.error.message = body.error.message
    .replace("`default_api:codebase_search`", `\`default_api:${functionName}\``)
    .replace("position 2", `position ${position}`);
  return { status: 400, body };
}

/** The default body for an injected HTTP error of this status. */
export function defaultErrorForStatus(status: number, model: string): HttpAnswer {
  switch (status) {
    case 400:
      return googleError(400, "Request contains an invalid argument.");
    case 403:
      return unregisteredCallerError();
    case 404:
      return modelNotFoundError(model, "v1beta", "generateContent");
    case 429:
      return rateLimitMinuteError(model);
    case 500:
      return internalError();
    case 503:
      return overloadedError();
    case 504:
      return googleError(504, "Deadline expired before operation could complete.");
    default:
      return googleError(status, `Simulated HTTP ${status}.`);
  }
}

/** Google's HTML 404 page for paths its frontend does not route. */
export function htmlNotFound(path: string): HttpAnswer {
  const body =
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n" +
    '  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">\n' +
    "  <title>Error 404 (Not Found)!!1</title>\n" +
    "  <p><b>404.</b> <ins>That’s an error.</ins>\n" +
    `  <p>The requested URL <code>${escapeHtml(path)}</code> was not found on this server.  <ins>That’s all we know.</ins>\n`;
  return { status: 404, body, contentType: "text/html; charset=UTF-8" };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => `&#${char.charCodeAt(0)};`);
}
