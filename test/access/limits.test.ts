/** The isolate-local windows: access key rate limits and admin credential throttling, on a fake clock. */
import { describe, expect, it } from "vitest";
import { allowsModel } from "../../shared/access/access-keys.ts";
import { RateLimiter } from "../../shared/access/rate-limit.ts";
import { LoginThrottle } from "../../shared/admin/throttle.ts";

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

describe("LoginThrottle", () => {
  it("blocks an address after 5 failures for the rest of 15 minutes, and everyone after 30 a minute", () => {
    let now = 0;
    const throttle = new LoginThrottle(() => now);
    for (let index = 0; index < 5; index++) throttle.failed("x");
    expect(throttle.blockedFor("x")).toBe(900);
    expect(throttle.blockedFor("y")).toBeNull();
    now += 899_000;
    expect(throttle.blockedFor("x")).toBe(1);
    now += 1_000;
    expect(throttle.blockedFor("x")).toBeNull();
    for (let index = 0; index < 30; index++) throttle.failed(`address-${index}`);
    expect(throttle.blockedFor("fresh")).toBe(60);
    now += 60_000;
    expect(throttle.blockedFor("fresh")).toBeNull();
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
