/** The isolate-local windows: access key rate limits, on a fake clock (admin credential throttling: test/security/admin-throttle.test.ts). */
import { describe, expect, it } from "vitest";
import { allowsModel } from "../../shared/access/access-keys.ts";
import { RateLimiter } from "../../shared/access/rate-limit.ts";

describe("RateLimiter", () => {
  it("admits `limit` requests per sliding minute per key and says when a slot frees up", () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    expect(limiter.take("a", 2)).toBeNull();
    now += 20_000;
    expect(limiter.take("a", 2)).toBeNull();
    expect(limiter.take("b", 2)).toBeNull();
    expect(limiter.take("a", 2)).toBe(40);
    now += 40_001;
    expect(limiter.take("a", 2)).toBeNull();
    expect(limiter.take("a", 2)).toBe(20);
  });
});

describe("allowsModel", () => {
  it("matches exact ids and prefixes ending in *, and lets model-less requests pass", () => {
    expect(allowsModel([], "anything")).toBe(true);
    expect(allowsModel(["gemini-2.5-flash"], "gemini-2.5-flash")).toBe(true);
    expect(allowsModel(["gemini-2.5-flash"], "models/gemini-2.5-flash")).toBe(true);
    expect(allowsModel(["gemini-2.5-flash"], "gemini-2.5-flash-lite")).toBe(false);
    expect(allowsModel(["gemini-2.5-*"], "gemini-2.5-pro")).toBe(true);
    expect(allowsModel(["gemini-2.5-*"], "gemini-3-pro")).toBe(false);
    expect(allowsModel(["gemini-2.5-flash"], "*")).toBe(true);
  });
});
