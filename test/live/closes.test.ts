/** Live close codes: Google's refusals read as the HTTP answers the classification knows, and back. */
import { describe, expect, it } from "vitest";
import { GemrelayError } from "../../shared/errors.ts";
import { classifyFailure } from "../../shared/gemini/classify.ts";
import { closeAsHttp, closeForError, closeReason, sendableCode } from "../../shared/live/closes.ts";

const now = Date.UTC(2026, 0, 1);
const verdictOf = (code: number, reason: string) => {
  const http = closeAsHttp({ code, reason });
  return classifyFailure(http.status, http.body, false, now).kind;
};

describe("Live closes", () => {
  it("reads Google's refusals as the key, relay and client faults they are", () => {
    expect(verdictOf(1007, "API key not valid. Please pass a valid API key.")).toBe("key-invalid");
    expect(verdictOf(1008, "Permission denied: Consumer has been suspended.")).toBe("key-invalid");
    expect(verdictOf(1011, "You exceeded your current quota, please check your plan and billing details.")).toBe("key-cooldown");
    expect(verdictOf(1007, "User location is not supported for the API use.")).toBe("relay-fault");
    expect(verdictOf(1011, "Internal error encountered.")).toBe("transient");
    expect(verdictOf(1006, "")).toBe("transient");
    expect(verdictOf(1007, "Request contains an invalid argument.")).toBe("client-error");
    expect(verdictOf(1008, "models/x is not found for API version v1beta, or is not supported for bidiGenerateContent.")).toBe("client-error");
  });

  it("closes a client error with the code Google used for it", () => {
    for (const [code, reason] of [
      [1007, "Request contains an invalid argument."],
      [1008, "models/x is not found for API version v1beta."],
    ] as const) {
      const http = closeAsHttp({ code, reason });
      expect(closeForError(new GemrelayError(reason, http.status))).toEqual({ code, reason });
    }
    expect(closeForError(new GemrelayError("Resource has been exhausted.", 429)).code).toBe(1011);
  });

  it("sends only codes a close frame may carry, and reasons within 123 bytes", () => {
    expect(sendableCode(1005)).toBe(1000);
    expect(sendableCode(1006)).toBe(1011);
    expect(sendableCode(1015)).toBe(1011);
    expect(sendableCode(4000)).toBe(4000);
    const long = closeReason("é".repeat(200));
    expect(new TextEncoder().encode(long).byteLength).toBeLessThanOrEqual(123);
    expect(long.endsWith("…")).toBe(true);
    expect(closeReason("short")).toBe("short");
    const key = "AIza" + "SyLiveSuspended0123456789abcdefghij";
    expect(closeReason(`Permission denied: Consumer 'api_key:${key}' has been suspended.`)).not.toContain(key);
  });
});
