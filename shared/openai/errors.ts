/**
 * Errors in OpenAI's shape, `{"error": {message, type, param, code}}`, with the status kept.
 * gemrelay's own errors and Gemini's error bodies (passed on by the scheduler) both end up here,
 * so an OpenAI client always sees the shape its SDK parses, whatever went wrong.
 */
import type { z } from "zod";
import { BadRequestError, GemrelayError, errorHeaders } from "../errors.ts";
import { errorFacts } from "../protocols/error-facts.ts";

/** The body OpenAI sends with an error status, and in-band in a stream. */
export interface OpenAiErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** A malformed OpenAI request: 400 with `param` naming the field at fault. */
export class OpenAiRequestError extends BadRequestError {
  constructor(
    message: string,
    readonly param: string | null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

/** OpenAI's `type` for a status (what api.openai.com sends for the same status). */
function typeForStatus(status: number): string {
  if (status === 401) return "invalid_request_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "requests";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** OpenAI's `code` for a status, refined by the Google status name when there is one. */
function codeForStatus(status: number, googleStatus: string | undefined): string | null {
  if (status === 401) return "invalid_api_key";
  if (status === 404) return "model_not_found";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit_exceeded";
  return googleStatus ? googleStatus.toLowerCase() : null;
}

/** The OpenAI error object and response headers for any error gemrelay raises or passes on. */
export function openAiError(error: GemrelayError): { status: number; body: OpenAiErrorObject; headers: Headers } {
  const headers = errorHeaders(error, "application/json");
  if (error instanceof OpenAiRequestError) {
    return { status: 400, body: { message: error.message, type: "invalid_request_error", param: error.param, code: error.code }, headers };
  }
  const facts = errorFacts(error);
  // The openai SDK waits `retry-after` seconds (up to a minute) before its own retry.
  if (facts.retryAfterSeconds !== null) headers.set("retry-after", String(facts.retryAfterSeconds));
  return { status: facts.status, body: { message: facts.message, type: typeForStatus(facts.status), param: null, code: codeForStatus(facts.status, facts.googleStatus) }, headers };
}

/** A Response carrying `error` in OpenAI's error shape with its status. */
export function openAiErrorResponse(error: GemrelayError): Response {
  const { status, body, headers } = openAiError(error);
  return new Response(JSON.stringify({ error: body }), { status, headers });
}

/** `messages[0].content[1].text` from a zod issue path. */
export function paramOf(path: readonly PropertyKey[]): string {
  let param = "";
  for (const segment of path) {
    if (typeof segment === "number") param += `[${segment}]`;
    else param += param.length === 0 ? String(segment) : `.${String(segment)}`;
  }
  return param;
}

/**
 * The most specific issue under a union: the branch the input's type matched (its issues are not
 * a type mismatch at the union itself), so that `content: [{type: "text", text: 3}]` reports
 * `content[0].text` rather than "expected string".
 */
function innermost(issue: z.core.$ZodIssue, path: readonly PropertyKey[]): { issue: z.core.$ZodIssue; path: PropertyKey[] } {
  const here = [...path, ...issue.path];
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return { issue, path: here };
  const matched = issue.errors.find((branch) => !branch.some((inner) => inner.code === "invalid_type" && inner.path.length === 0));
  const first = matched?.[0];
  return first ? innermost(first, here) : { issue, path: here };
}

/** The 400 for the first problem zod found in a request body, naming the field. */
export function requestErrorFromZod(error: z.ZodError): OpenAiRequestError {
  const first = error.issues[0];
  if (!first) return new OpenAiRequestError("Invalid request body.", null);
  const { issue, path } = innermost(first, []);
  const param = paramOf(path);
  if (issue.code === "invalid_union" && issue.errors.length > 0 && issue.message === "Invalid input") {
    const expected = issue.errors.flatMap((branch) => branch.map((inner) => (inner.code === "invalid_type" ? inner.expected : null))).filter((name) => name !== null);
    return new OpenAiRequestError(`Invalid type for '${param}': expected ${[...new Set(expected)].join(" or ")}.`, param || null, "invalid_type");
  }
  const message = issue.message.replace(/^Invalid input: /, "");
  return new OpenAiRequestError(param ? `Invalid value for '${param}': ${message}.` : `Invalid request body: ${message}.`, param || null, issue.code === "invalid_type" ? "invalid_type" : "invalid_value");
}
