/**
 * Relay health per isolate: a consecutive-failure circuit breaker with half-open probes of
 * `GET /health`, quarantine after "User location is not supported", EWMA latency.
 * Relay faults never touch key state (REFERENCE.md §2).
 */

/** Tuning of the circuit breaker. */
export interface CircuitPolicy {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit stays open before a probe may close it. */
  openMs: number;
  /** How long a relay refused by Gemini for its location stays out. */
  quarantineMs: number;
}

/** Defaults: open after 3 failures in a row for 30 s; location refusals for 10 min. */
export const defaultCircuitPolicy: CircuitPolicy = { failureThreshold: 3, openMs: 30_000, quarantineMs: 600_000 };

/** What /status shows of one relay. */
export interface RelayState {
  id: string;
  circuit: "closed" | "open" | "half-open";
  consecutiveFailures: number;
  openUntil: number | null;
  quarantined: boolean;
  lastError: string | null;
  latencyMs: number | null;
  requests: number;
  failures: number;
}

interface Entry {
  consecutiveFailures: number;
  openUntil: number;
  quarantined: boolean;
  lastError: string | null;
  latencyMs: number | null;
  requests: number;
  failures: number;
  probing: boolean;
}

/** Health of every relay known to this isolate. */
export class RelayHealth {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly policy: CircuitPolicy = defaultCircuitPolicy,
    private readonly clock: () => number = Date.now,
  ) {}

  private entry(id: string): Entry {
    let entry = this.entries.get(id);
    if (!entry) {
      entry = { consecutiveFailures: 0, openUntil: 0, quarantined: false, lastError: null, latencyMs: null, requests: 0, failures: 0, probing: false };
      this.entries.set(id, entry);
    }
    return entry;
  }

  /** True when requests may go to the relay (circuit closed). */
  isClosed(id: string): boolean {
    return this.entry(id).openUntil === 0;
  }

  /** True when the circuit is open but its time is up: a probe may close it. */
  isDueForProbe(id: string): boolean {
    const entry = this.entry(id);
    return entry.openUntil !== 0 && entry.openUntil <= this.clock() && !entry.probing;
  }

  /**
   * Probes a relay whose open time is over; closes the circuit when `probe` answers true,
   * re-opens it otherwise. Only one probe per relay runs at a time.
   */
  async probe(id: string, probe: () => Promise<boolean>): Promise<void> {
    const entry = this.entry(id);
    entry.probing = true;
    try {
      if (await probe().catch(() => false)) {
        Object.assign(entry, { consecutiveFailures: 0, openUntil: 0, quarantined: false });
      } else {
        entry.openUntil = this.clock() + (entry.quarantined ? this.policy.quarantineMs : this.policy.openMs);
      }
    } finally {
      entry.probing = false;
    }
  }

  /** Records a success and its latency (EWMA, α = 0.2). */
  success(id: string, latencyMs: number): void {
    const entry = this.entry(id);
    entry.requests += 1;
    entry.consecutiveFailures = 0;
    entry.latencyMs = entry.latencyMs === null ? latencyMs : entry.latencyMs * 0.8 + latencyMs * 0.2;
  }

  /** Records a relay fault; opens the circuit at the threshold, or at once for a quarantine. */
  failure(id: string, reason: string, quarantine: boolean): void {
    const entry = this.entry(id);
    entry.requests += 1;
    entry.failures += 1;
    entry.consecutiveFailures += 1;
    entry.lastError = reason;
    if (quarantine) {
      entry.quarantined = true;
      entry.openUntil = this.clock() + this.policy.quarantineMs;
    } else if (entry.consecutiveFailures >= this.policy.failureThreshold) {
      entry.openUntil = this.clock() + this.policy.openMs;
    }
  }

  /** The state of the given relays, for /status. */
  describe(ids: readonly string[]): RelayState[] {
    const now = this.clock();
    return ids.map((id) => {
      const entry = this.entry(id);
      const circuit = entry.openUntil === 0 ? "closed" : entry.openUntil > now ? "open" : "half-open";
      return {
        id,
        circuit,
        consecutiveFailures: entry.consecutiveFailures,
        openUntil: entry.openUntil || null,
        quarantined: entry.quarantined,
        lastError: entry.lastError,
        latencyMs: entry.latencyMs === null ? null : Math.round(entry.latencyMs),
        requests: entry.requests,
        failures: entry.failures,
      };
    });
  }
}
