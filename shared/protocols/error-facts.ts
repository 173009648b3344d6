/**
 * What every protocol's error shape is written from: status, message, Google's status name and
 * details (from gemrelay's own error, or parsed from a Gemini error body the scheduler passed
 * on), and the seconds to wait before a retry. OpenAI and Anthropic errors (openai/errors.ts,
 * anthropic/errors.ts) differ only in how they name these.
 */
import { UpstreamResponseError, type GemrelayError } from "../errors.ts";
import { parseGoogleError, parseRetryDelay } from "../gemini/classify.ts";

/** The facts of one error, protocol-free. */
export interface ErrorFacts {
  status: number;
  message: string;
  /** `RESOURCE_EXHAUSTED`, `UNAVAILABLE`, …; undefined when an upstream body named none. */
  googleStatus: string | undefined;
  /** Whole seconds from Google's RetryInfo on a 429, when there is one. */
  retryAfterSeconds: number | null;
}

/** Seconds to wait from Google's RetryInfo detail, when there is one. */
function retrySeconds(details: readonly Record<string, unknown>[] | undefined): number | null {
  for (const detail of details ?? []) {
    const delay = detail.retryDelay;
    if (typeof delay !== "string") continue;
    const milliseconds = parseRetryDelay(delay);
    if (milliseconds !== null) return Math.max(1, Math.ceil(milliseconds / 1_000));
  }
  return null;
}

/** The facts of `error`; an upstream body is parsed, and cut to 500 characters when it is no Google error. */
export function errorFacts(error: GemrelayError): ErrorFacts {
  let message = error.message;
  let googleStatus: string | undefined = error.googleStatus;
  let details: readonly Record<string, unknown>[] = error.details;
  if (error instanceof UpstreamResponseError) {
    const google = parseGoogleError(error.body);
    message = google?.message ?? (error.body.trim().slice(0, 500) || `Gemini answered with HTTP ${error.status}.`);
    googleStatus = google?.status;
    details = google?.details ?? [];
  }
  return { status: error.status, message, googleStatus, retryAfterSeconds: error.status === 429 ? retrySeconds(details) : null };
}
