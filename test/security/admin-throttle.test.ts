/**
 * Issue #14, finding 3, the pieces under the end-to-end suite (admin-auth.test.ts): how a client
 * address is read (every IPv6 spelling, CIDRs, X-Forwarded-For from the right, only behind a
 * trusted proxy) and the back-off (exponential per address, no global lock, bounded memory).
 */
import { describe, expect, it } from "vitest";
import { LoginThrottle, defaultThrottleLimits } from "../../shared/admin/throttle.ts";
import { formatIpAddress, parseIpAddress, parseIpRange, rangeContains } from "../../shared/net/address.ts";
import { forwardedClient, parseTrustedProxies } from "../../shared/net/client-address.ts";

const text = (address: string) => {
  const bytes = parseIpAddress(address);
  return bytes === null ? null : formatIpAddress(bytes);
};

describe("addresses", () => {
  it("reads IPv4, every IPv6 spelling, and folds IPv4-mapped IPv6 to IPv4", () => {
    expect(text("203.0.113.5")).toBe("203.0.113.5");
    expect(text("::ffff:203.0.113.5")).toBe("203.0.113.5");
    expect(text("::ffff:cb00:7105")).toBe("203.0.113.5");
    expect(text("[2001:db8::1]")).toBe("2001:db8:0:0:0:0:0:1");
    expect(text("2001:DB8:0:0:0:0:0:1")).toBe("2001:db8:0:0:0:0:0:1");
    expect(text("fe80::1%eth0")).toBe("fe80:0:0:0:0:0:0:1");
    expect(text("64:ff9b::10.0.0.1")).toBe("64:ff9b:0:0:0:0:a00:1");
    for (const bad of ["", "unknown", "1.2.3", "1.2.3.4.5", "01.2.3.4", "256.0.0.1", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "::g"]) expect(text(bad), bad).toBeNull();
  });

  it("matches CIDR ranges of both families, never across them", () => {
    const [private10, unique] = [parseIpRange("10.0.0.0/8")!, parseIpRange("fd00::/8")!];
    expect(rangeContains(private10, parseIpAddress("10.200.1.1")!)).toBe(true);
    expect(rangeContains(private10, parseIpAddress("::ffff:10.200.1.1")!)).toBe(true);
    expect(rangeContains(private10, parseIpAddress("11.0.0.1")!)).toBe(false);
    expect(rangeContains(unique, parseIpAddress("fd12::1")!)).toBe(true);
    expect(rangeContains(unique, parseIpAddress("10.0.0.1")!)).toBe(false);
    expect(() => parseTrustedProxies("10.0.0.0/8, nonsense")).toThrow(/TRUSTED_PROXIES: "nonsense"/);
    expect(() => parseTrustedProxies("10.0.0.0/33")).toThrow(/TRUSTED_PROXIES/);
    expect(parseTrustedProxies(" ")).toEqual([]);
  });
});

describe("client address", () => {
  const trusted = parseTrustedProxies("127.0.0.1, 10.0.0.0/8");
  const headers = (values: Record<string, string>) => new Headers(values);

  it("is the socket's peer, whatever forwarding headers say, when the peer is not a trusted proxy", () => {
    const forged = headers({ "x-forwarded-for": "198.51.100.1", "x-real-ip": "198.51.100.2", "cf-connecting-ip": "198.51.100.3" });
    expect(forwardedClient(forged, "203.0.113.9", trusted)).toBe("203.0.113.9");
    expect(forwardedClient(forged, "::ffff:203.0.113.9", trusted)).toBe("203.0.113.9");
    expect(forwardedClient(forged, "203.0.113.9", [])).toBe("203.0.113.9");
    expect(forwardedClient(forged, null, trusted)).toBe("unknown");
  });

  it("behind trusted proxies, is the nearest untrusted hop of X-Forwarded-For (a prepended fake changes nothing)", () => {
    expect(forwardedClient(headers({ "x-forwarded-for": "6.6.6.6, 203.0.113.9" }), "127.0.0.1", trusted)).toBe("203.0.113.9");
    expect(forwardedClient(headers({ "x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.1.2.3" }), "127.0.0.1", trusted)).toBe("203.0.113.9");
    expect(forwardedClient(headers({ "x-forwarded-for": "garbage, 203.0.113.9" }), "127.0.0.1", trusted)).toBe("203.0.113.9");
    // No untrusted hop at all: the farthest trusted one is all that is known.
    expect(forwardedClient(headers({ "x-forwarded-for": "10.9.9.9" }), "127.0.0.1", trusted)).toBe("10.9.9.9");
    expect(forwardedClient(headers({ "x-real-ip": "203.0.113.10" }), "127.0.0.1", trusted)).toBe("203.0.113.10");
    expect(forwardedClient(headers({}), "127.0.0.1", trusted)).toBe("127.0.0.1");
  });

  it("counts an IPv6 client by its /64", () => {
    expect(forwardedClient(headers({}), "2001:db8:1:2:aaaa::1", [])).toBe(forwardedClient(headers({}), "2001:db8:1:2:bbbb::2", []));
    expect(forwardedClient(headers({}), "2001:db8:1:2::1", [])).not.toBe(forwardedClient(headers({}), "2001:db8:1:3::1", []));
  });
});

describe("login throttle", () => {
  it("gives five free mistakes, then doubles the wait per failure up to 15 minutes", () => {
    let now = 1_000_000;
    const throttle = new LoginThrottle(() => now);
    const waits: number[] = [];
    for (let failure = 1; failure <= 16; failure++) {
      throttle.failed("a");
      waits.push(throttle.blockedFor("a") ?? 0);
      now += (throttle.blockedFor("a") ?? 0) * 1_000;
      // Never many failures a minute from one address: the "busy" mode stays off.
      now += 60_000;
    }
    expect(waits).toEqual([0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
    throttle.succeeded("a");
    expect(throttle.blockedFor("a")).toBeNull();
  });

  it("never blocks an address for failures of other addresses, even under a flood from many", () => {
    const now = 5_000_000;
    const throttle = new LoginThrottle(() => now);
    for (let address = 0; address < 1_000; address++) for (let attempt = 0; attempt < 5; attempt++) throttle.failed(`198.51.${address >> 8}.${address & 255}`);
    expect(throttle.blockedFor("203.0.113.1")).toBeNull();
    // While many addresses fail, a new address's first mistake already costs it a wait.
    throttle.failed("203.0.113.1");
    expect(throttle.blockedFor("203.0.113.1")).toBe(1);
    expect(throttle.blockedFor("203.0.113.2")).toBeNull();
  });

  it("remembers a bounded number of addresses and forgets idle ones", () => {
    let now = 0;
    const throttle = new LoginThrottle(() => now);
    for (let address = 0; address < 25_000; address++) throttle.failed(`a${address}`);
    expect(throttle.size).toBe(defaultThrottleLimits.maxAddresses);
    throttle.failed("late");
    throttle.failed("late");
    now += defaultThrottleLimits.forgetAfterMs + 1;
    expect(throttle.blockedFor("late")).toBeNull();
    throttle.failed("late");
    expect(throttle.blockedFor("late")).toBeNull();
  });
});
