/** Issue 17: the error mapping tables, case by case — Gemini status → Anthropic type and status, and → the Responses stream's error. */
import { describe, expect, it } from "vitest";
import { anthropicError, anthropicErrorType } from "../../shared/anthropic/errors.ts";
import { AuthenticationError, BadRequestError, ForbiddenError, GemrelayError, PayloadTooLargeError, RateLimitError, UpstreamResponseError } from "../../shared/errors.ts";
import { fixture } from "../helpers/fixtures.ts";

const upstream = (name: string, status: number) => new UpstreamResponseError(fixture(name), status, new Headers({ "content-type": "application/json" }));

describe("anthropicErrorType", () => {
  it.each([
    [400, "INVALID_ARGUMENT", "invalid_request_error", 400],
    [401, "UNAUTHENTICATED", "authentication_error", 401],
    [403, "PERMISSION_DENIED", "permission_error", 403],
    [404, "NOT_FOUND", "not_found_error", 404],
    [413, "INVALID_ARGUMENT", "request_too_large", 413],
    [429, "RESOURCE_EXHAUSTED", "rate_limit_error", 429],
    [500, "INTERNAL", "api_error", 500],
    [502, "UNKNOWN", "api_error", 500],
    [503, "UNAVAILABLE", "overloaded_error", 529],
    [504, "DEADLINE_EXCEEDED", "timeout_error", 504],
  ])("maps HTTP %i (%s) to %s with status %i", (status, googleStatus, type, mapped) => {
    expect(anthropicErrorType(status, googleStatus)).toEqual({ type, status: mapped });
  });
});

describe("anthropicError", () => {
  it("passes Gemini's 429 on as rate_limit_error with retry-after from RetryInfo", () => {
    const { status, body, headers } = anthropicError(upstream("error_429_RESOURCE_EXHAUSTED_QuotaFailure_Help_RetryInfo.json", 429));
    expect(status).toBe(429);
    expect(body.type).toBe("rate_limit_error");
    expect(body.message).toContain("quota");
    expect(Number(headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("turns Gemini's 503 overload into Anthropic's 529 overloaded_error, which Claude Code retries", () => {
    const { status, body } = anthropicError(upstream("error_503_UNAVAILABLE_overloaded.json", 503));
    expect(status).toBe(529);
    expect(body).toMatchObject({ type: "overloaded_error", message: expect.stringMatching(/overloaded/i) });
  });

  it("keeps Gemini's message for a 400 (the missing thought signature) and a 500", () => {
    expect(anthropicError(upstream("error_400_missing_thought_signature.json", 400)).body).toMatchObject({ type: "invalid_request_error", message: expect.stringContaining("thought_signature") });
    expect(anthropicError(upstream("error_500_INTERNAL.json", 500))).toMatchObject({ status: 500, body: { type: "api_error" } });
  });

  it("maps gemrelay's own errors", () => {
    expect(anthropicError(new AuthenticationError())).toMatchObject({ status: 401, body: { type: "authentication_error" } });
    expect(anthropicError(new ForbiddenError("no"))).toMatchObject({ status: 403, body: { type: "permission_error" } });
    expect(anthropicError(new BadRequestError("bad"))).toMatchObject({ status: 400, body: { type: "invalid_request_error", message: "bad" } });
    expect(anthropicError(new PayloadTooLargeError(10))).toMatchObject({ status: 413, body: { type: "request_too_large" } });
    expect(anthropicError(new GemrelayError("nothing here", 404))).toMatchObject({ status: 404, body: { type: "not_found_error" } });
    const limited = anthropicError(new RateLimitError("slow down", 7));
    expect(limited).toMatchObject({ status: 429, body: { type: "rate_limit_error" } });
    expect(limited.headers.get("retry-after")).toBe("7");
  });
});
