/**
 * Brute-force throttling of admin credentials (login and Bearer), per client address
 * (net/client-address.ts): a few free mistakes, then an exponential back-off that only that
 * address waits out. There is deliberately no limit over all addresses together: one would let
 * anyone lock the real admin out by sending wrong keys. Against guessing from many addresses the
 * free mistakes shrink to one while many addresses are failing, which still never refuses an
 * address that has not failed itself.
 *
 * Counted per isolate, like the access key limits (access/rate-limit.ts): on Cloudflare each
 * isolate throttles on its own. The map is bounded, so rotating addresses cannot exhaust memory.
 */

/** Tuning of the back-off; the defaults suit a human admin and slow a script to a crawl. */
export interface ThrottleLimits {
  /** Wrong credentials an address may send before it has to wait. */
  freeFailures: number;
  /** The first wait; each further failure doubles it. */
  firstWaitMs: number;
  /** The longest wait. */
  longestWaitMs: number;
  /** An address that has not failed for this long starts afresh. */
  forgetAfterMs: number;
  /** Addresses remembered at most; the least recently failing are forgotten first. */
  maxAddresses: number;
  /** Failures over all addresses within a minute above which every address gets one free mistake only. */
  busyFailuresPerMinute: number;
}

/** 5 free mistakes, then 1 s, 2 s, 4 s, … up to 15 minutes; forgotten after an hour without failing. */
export const defaultThrottleLimits: ThrottleLimits = {
  freeFailures: 5,
  firstWaitMs: 1_000,
  longestWaitMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
  maxAddresses: 10_000,
  busyFailuresPerMinute: 30,
};

interface Failures {
  count: number;
  lastAt: number;
  blockedUntil: number;
}

/** Wrong admin credentials per client address, in this isolate. */
export class LoginThrottle {
  private readonly failures = new Map<string, Failures>();
  /** Failures over all addresses in the current and the previous minute (two counters, not a list). */
  private minute = { start: 0, count: 0, previous: 0 };

  constructor(
    private readonly clock: () => number,
    private readonly limits: ThrottleLimits = defaultThrottleLimits,
  ) {}

  /** Seconds until `address` may try again, or null when it may try now. */
  blockedFor(address: string): number | null {
    const now = this.clock();
    const entry = this.current(address, now);
    if (entry === null || entry.blockedUntil <= now) return null;
    return Math.max(1, Math.ceil((entry.blockedUntil - now) / 1_000));
  }

  /** Counts a wrong credential from `address` and starts its wait when it has used its free mistakes. */
  failed(address: string): void {
    const now = this.clock();
    const busy = this.countGlobally(now) > this.limits.busyFailuresPerMinute;
    const entry = this.current(address, now) ?? { count: 0, lastAt: now, blockedUntil: 0 };
    entry.count += 1;
    entry.lastAt = now;
    const free = busy ? 1 : this.limits.freeFailures;
    if (entry.count >= free) {
      const doublings = Math.min(entry.count - free, 30);
      entry.blockedUntil = now + Math.min(this.limits.longestWaitMs, this.limits.firstWaitMs * 2 ** doublings);
    }
    // Re-inserted, so the map's order is least recently failing first: that is what gets evicted.
    this.failures.delete(address);
    this.failures.set(address, entry);
    while (this.failures.size > this.limits.maxAddresses) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
  }

  /** A correct credential from `address`: its mistakes are forgiven. */
  succeeded(address: string): void {
    this.failures.delete(address);
  }

  /** Addresses remembered now (for tests and /status). */
  get size(): number {
    return this.failures.size;
  }

  private current(address: string, now: number): Failures | null {
    const entry = this.failures.get(address);
    if (entry === undefined) return null;
    if (entry.lastAt + this.limits.forgetAfterMs <= now && entry.blockedUntil <= now) {
      this.failures.delete(address);
      return null;
    }
    return entry;
  }

  /** Adds one failure to the global per-minute count and returns the failures of the last minute or so. */
  private countGlobally(now: number): number {
    const start = now - (now % 60_000);
    if (start !== this.minute.start) this.minute = { start, count: 0, previous: start - this.minute.start === 60_000 ? this.minute.count : 0 };
    this.minute.count += 1;
    return this.minute.count + this.minute.previous;
  }
}
