/**
 * Per-minute request limits of access keys, counted in this isolate (sliding one-minute window).
 *
 * Best effort by design: on Cloudflare every isolate counts on its own, so a client spread over
 * N isolates may get up to N times its limit; counting in the Durable Object would put that one
 * object on every request's path (DESIGN.md, Routing). On the self-host there is one process and
 * the limit is exact.
 */

const windowMs = 60_000;

/** Per-minute request counts per access key in this isolate. */
export class RateLimiter {
  /** Arrival times within the last minute, by access key id. */
  private readonly arrivals = new Map<string, number[]>();
  private lastSweep = 0;

  constructor(private readonly clock: () => number) {}

  /**
   * Counts a request for `id` when it fits within `limit` per minute and returns null; otherwise
   * counts nothing and returns the seconds until a slot frees up.
   */
  take(id: string, limit: number): number | null {
    const now = this.clock();
    this.sweep(now);
    const recent = (this.arrivals.get(id) ?? []).filter((at) => at > now - windowMs);
    if (recent.length >= limit) {
      this.arrivals.set(id, recent);
      const oldest = recent[recent.length - limit] ?? now;
      return Math.max(1, Math.ceil((oldest + windowMs - now) / 1_000));
    }
    recent.push(now);
    this.arrivals.set(id, recent);
    return null;
  }

  /** Forgets keys idle for a minute, so the map stays as small as the set of active clients. */
  private sweep(now: number): void {
    if (now - this.lastSweep < windowMs) return;
    this.lastSweep = now;
    for (const [id, times] of this.arrivals) if ((times.at(-1) ?? 0) <= now - windowMs) this.arrivals.delete(id);
  }
}
