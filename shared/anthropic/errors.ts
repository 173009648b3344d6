/**
 * Errors in Anthropic's shape, `{"type": "error", "error": {type, message}}`
 * (https://docs.anthropic.com/en/api/errors), for gemrelay's own errors and Gemini's error
 * bodies alike, so an Anthropic client always sees what its SDK parses. The statuses follow
 * Anthropic's table; Gemini's overload (503 UNAVAILABLE) becomes Anthropic's 529
 * `overloaded_error`, which Claude Code and the SDK retry with backoff.
 */
import type { z } from "zod";
import { BadRequestError, errorHeaders, type GemrelayError } from "../errors.ts";
import { paramOf } from "../openai/errors.ts";
import { errorFacts } from "../protocols/error-facts.ts";

/** Anthropic's error object. */
export interface AnthropicErrorObject {
  type: string;
  message: string;
}

/** Anthropic's type and status for an error of `status` (Google status `googleStatus`). */
export function anthropicErrorType(status: number, googleStatus: string | undefined): { type: string; status: number } {
  if (status === 400 || status === 422) return { type: "invalid_request_error", status: 400 };
  if (status === 401) return { type: "authentication_error", status };
  if (status === 402) return { type: "billing_error", status };
  if (status === 403) return { type: "permission_error", status };
  if (status === 404) return { type: "not_found_error", status };
  if (status === 413) return { type: "request_too_large", status };
  if (status === 429) return { type: "rate_limit_error", status };
  if (status === 503 || status === 529 || googleStatus === "UNAVAILABLE") return { type: "overloaded_error", status: 529 };
  if (status === 504 || googleStatus === "DEADLINE_EXCEEDED") return { type: "timeout_error", status: 504 };
  if (status >= 500) return { type: "api_error", status: 500 };
  return { type: "invalid_request_error", status };
}

/** The status, error object and headers for any error gemrelay raises or passes on. */
export function anthropicError(error: GemrelayError): { status: number; body: AnthropicErrorObject; headers: Headers } {
  const headers = errorHeaders(error, "application/json");
  const facts = errorFacts(error);
  const { type, status } = anthropicErrorType(facts.status, facts.googleStatus);
  // The Anthropic SDK and Claude Code wait `retry-after` seconds before their own retry.
  if (facts.retryAfterSeconds !== null) headers.set("retry-after", String(facts.retryAfterSeconds));
  return { status, body: { type, message: facts.message }, headers };
}

/** The JSON of an error event or body. */
export function anthropicErrorJson(error: GemrelayError): string {
  return JSON.stringify({ type: "error", error: anthropicError(error).body });
}

/** A Response carrying `error` in Anthropic's shape with its status. */
export function anthropicErrorResponse(error: GemrelayError): Response {
  const { status, headers } = anthropicError(error);
  return new Response(anthropicErrorJson(error), { status, headers });
}

/** The 400 for the first problem zod found in a request body, naming the field as Anthropic does. */
export function anthropicRequestError(error: z.ZodError): BadRequestError {
  const issue = error.issues[0];
  if (!issue) return new BadRequestError("Invalid request body.");
  const field = paramOf(issue.path);
  const message = issue.message.replace(/^Invalid input: /, "");
  return new BadRequestError(field ? `${field}: ${message}` : message);
}
