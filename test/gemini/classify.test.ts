import { describe, expect, it } from "vitest";
import { classifyFailure, nextPacificMidnight, parseGoogleError, parseRetryDelay } from "../../shared/gemini/classify.ts";
import { fixture } from "../helpers/fixtures.ts";

const now = Date.UTC(2026, 10, 22, 12, 0, 0);

describe("classifyFailure on every real error body", () => {
  const table: { file: string; status: number; kind: string; reason?: string; cooldownMs?: number }[] = [
    { file: "error_400_INVALID_ARGUMENT_API_KEY_INVALID.json", status: 400, kind: "key-invalid", reason: "API_KEY_INVALID" },
    { file: "error_403_PERMISSION_DENIED_unregistered_caller.json", status: 403, kind: "key-invalid" },
    { file: "error_400_FAILED_PRECONDITION_user_location.json", status: 400, kind: "relay-fault", reason: "location" },
    { file: "error_400_missing_thought_signature.json", status: 400, kind: "client-error" },
    { file: "error_429_RESOURCE_EXHAUSTED_QuotaFailure_Help_RetryInfo.json", status: 429, kind: "key-cooldown", reason: "retry-info", cooldownMs: 27_000 },
    { file: "error_429_RESOURCE_EXHAUSTED_free_tier_per_day_python_repr.txt", status: 429, kind: "key-cooldown", reason: "retry-info", cooldownMs: 16_000 },
    { file: "error_429_legacy_RATE_LIMIT_EXCEEDED_quota_limit_value_0.txt", status: 429, kind: "key-cooldown", reason: "limit-zero", cooldownMs: 6 * 3_600_000 },
    { file: "error_429_MODEL_CAPACITY_EXHAUSTED_cloudcode.json", status: 429, kind: "transient", reason: "capacity" },
    { file: "error_500_INTERNAL.json", status: 500, kind: "transient", reason: "INTERNAL" },
    { file: "error_503_UNAVAILABLE_overloaded.json", status: 503, kind: "transient", reason: "UNAVAILABLE" },
  ];
  for (const row of table) {
    it(`${row.file} → ${row.kind}`, () => {
      const verdict = classifyFailure(row.status, fixture(row.file), false, now);
      expect(verdict.kind).toBe(row.kind);
      if (row.reason) expect(verdict.reason).toBe(row.reason);
      if (row.cooldownMs !== undefined && verdict.kind === "key-cooldown") expect(verdict.until - now).toBe(row.cooldownMs);
    });
  }

  it("reads the error when wrapped in an array", () => {
    const wrapped = `[${fixture("error_400_INVALID_ARGUMENT_API_KEY_INVALID.json")}]`;
    expect(parseGoogleError(wrapped)?.status).toBe("INVALID_ARGUMENT");
    expect(classifyFailure(400, wrapped, false, now).kind).toBe("key-invalid");
  });

  it("cools a per-day quota until the next midnight in Los Angeles", () => {
    const body = JSON.stringify({
      error: {
        code: 429,
        status: "RESOURCE_EXHAUSTED",
        message: "You exceeded your current quota",
        details: [
          { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ quotaId: "GenerateRequestsPerDayPerProjectPerModel-FreeTier", quotaValue: "250" }] },
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "12s" },
        ],
      },
    });
    const verdict = classifyFailure(429, body, false, now);
    expect(verdict).toEqual({ kind: "key-cooldown", reason: "per-day-quota", until: nextPacificMidnight(now), reported: { rpd: 250 } });
  });

  it("names the project limits a 429's QuotaFailure reports, for the budgets", () => {
    const verdict = classifyFailure(429, fixture("error_429_RESOURCE_EXHAUSTED_QuotaFailure_Help_RetryInfo.json"), false, now);
    expect(verdict).toMatchObject({ kind: "key-cooldown", reported: { tpm: 250_000 } });
    const perMinute = JSON.stringify({
      error: {
        code: 429,
        status: "RESOURCE_EXHAUSTED",
        details: [{ "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", quotaValue: "10" }, { quotaId: "Other", quotaValue: "x" }] }],
      },
    });
    expect(classifyFailure(429, perMinute, false, now)).toMatchObject({ reported: { rpm: 10 } });
    expect(classifyFailure(429, fixture("error_429_legacy_RATE_LIMIT_EXCEEDED_quota_limit_value_0.txt"), false, now)).not.toHaveProperty("reported");
  });

  it("treats a 429 without details as a one-minute cooldown and the message 'limit: 0' as a long one", () => {
    const bare = JSON.stringify({ error: { code: 429, message: "Resource has been exhausted (e.g. check quota).", status: "RESOURCE_EXHAUSTED" } });
    expect(classifyFailure(429, bare, false, now)).toMatchObject({ kind: "key-cooldown", reason: "quota", until: now + 60_000 });
    const zero = JSON.stringify({ error: { code: 429, message: "* Quota exceeded for metric: x, limit: 0, model: gemini-2.5-pro. Please retry in 47.17s.", status: "RESOURCE_EXHAUSTED" } });
    expect(classifyFailure(429, zero, false, now)).toMatchObject({ kind: "key-cooldown", reason: "limit-zero" });
    const retryIn = JSON.stringify({ error: { code: 429, message: "Quota exceeded. Please retry in 47.174066935s.", status: "RESOURCE_EXHAUSTED" } });
    expect(classifyFailure(429, retryIn, false, now)).toMatchObject({ until: now + 48_174 });
  });

  it("blames the relay when the relay itself answered, and Gemini's other 4xx on the client", () => {
    expect(classifyFailure(401, "{}", true, now)).toMatchObject({ kind: "relay-fault", quarantine: false });
    expect(classifyFailure(502, "{}", true, now).kind).toBe("relay-fault");
    const notFound = JSON.stringify({ error: { code: 404, message: "models/nope is not found", status: "NOT_FOUND" } });
    expect(classifyFailure(404, notFound, false, now).kind).toBe("client-error");
    expect(classifyFailure(400, "not json at all", false, now).kind).toBe("client-error");
  });
});

describe("parseRetryDelay", () => {
  it.each([
    ["37s", 37_000],
    ["57.238747106s", 57_239],
    ["750ms", 750],
    ["2m", 120_000],
    ["nonsense", null],
  ])("%s → %s", (input, expected) => expect(parseRetryDelay(input)).toBe(expected));
});

describe("nextPacificMidnight", () => {
  const pacificHour = (at: number) => Number(new Intl.DateTimeFormat("en-US", { timeZone: "America/Los_Angeles", hourCycle: "h23", hour: "numeric" }).format(at));
  it.each([
    ["an ordinary day", Date.UTC(2026, 10, 22, 12, 0, 0)],
    ["just before midnight", Date.UTC(2026, 10, 23, 7, 59, 59)],
    ["the day daylight saving starts", Date.UTC(2026, 2, 8, 9, 0, 0)],
    ["the day daylight saving ends", Date.UTC(2026, 10, 1, 8, 30, 0)],
  ])("on %s lands on 00:00 Pacific within 25 hours", (_, at) => {
    const midnight = nextPacificMidnight(at);
    expect(midnight).toBeGreaterThan(at);
    expect(midnight - at).toBeLessThanOrEqual(25 * 3_600_000);
    expect(pacificHour(midnight)).toBe(0);
    expect(pacificHour(midnight - 1_000)).toBe(23);
  });
});
