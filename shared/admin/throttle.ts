/**
 * Brute-force throttling of admin credentials (login and Bearer): per client address, and over
 * every address together so that rotating addresses does not help. Counted per isolate, like the
 * access key limits (access/rate-limit.ts): on Cloudflare each isolate throttles on its own.
 */

/** Failures per address within the window before that address is refused. */
const perAddressLimit = 5;
const perAddressWindowMs = 15 * 60_000;
/** Failures from all addresses within a minute before everyone is refused for that minute. */
const globalLimit = 30;
const globalWindowMs = 60_000;

/** Wrong admin credentials per address and overall, in this isolate. */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private globalFailures: number[] = [];

  constructor(private readonly clock: () => number) {}

  /** Seconds until `address` may try again, or null when it may try now. */
  blockedFor(address: string): number | null {
    const now = this.clock();
    this.globalFailures = this.globalFailures.filter((at) => at > now - globalWindowMs);
    const mine = (this.failures.get(address) ?? []).filter((at) => at > now - perAddressWindowMs);
    if (mine.length === 0) this.failures.delete(address);
    else this.failures.set(address, mine);
    const waits: number[] = [];
    if (mine.length >= perAddressLimit) waits.push((mine[mine.length - perAddressLimit] ?? now) + perAddressWindowMs - now);
    if (this.globalFailures.length >= globalLimit) waits.push((this.globalFailures[this.globalFailures.length - globalLimit] ?? now) + globalWindowMs - now);
    return waits.length === 0 ? null : Math.max(1, Math.ceil(Math.max(...waits) / 1_000));
  }

  /** Counts a wrong credential from `address`. */
  failed(address: string): void {
    const now = this.clock();
    this.failures.set(address, [...(this.failures.get(address) ?? []), now]);
    this.globalFailures.push(now);
  }
}

/** The client's address as the platform reports it (Cloudflare's header first), for throttling only. */
export function clientAddress(request: Request): string {
  return (
    request.headers.get("cf-connecting-ip") ??
    request.headers.get("x-real-ip") ??
    request.headers.get("x-forwarded-for")?.split(",")[0]?.trim() ??
    "unknown"
  );
}
