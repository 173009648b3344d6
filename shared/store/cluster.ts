/**
 * What several instances sharing one Store (self-host on Redis) tell each other, injected by the
 * platform entry. Absent on a single instance and on Cloudflare, where nothing changes.
 */

/** Health of the shared state, shown on /health and /status. */
export interface ClusterHealth {
  /** `degraded` while the shared store is unreachable or queued writes wait for it. */
  state: "ok" | "degraded";
  /** Details for /status (queued writes, last error, …); never a secret. */
  detail: Record<string, string | number | boolean | null>;
}

/** Signals and counters shared by the instances of one deployment. */
export interface Cluster {
  /**
   * Registers `listener`, called when another instance changed pool keys, cooldowns, access keys
   * or settings (or when changes may have been missed, after a reconnect).
   */
  onChange(listener: () => void): void;
  /**
   * The next value of a counter shared by every instance (round-robin cursors), atomic across
   * them; falls back to a local counter while the shared store is unreachable.
   */
  nextCursor(name: string): Promise<number>;
  health(): ClusterHealth;
  /** Registers `listener`, called when the state turns `degraded` or back to `ok` (for alerts). */
  onHealthChange(listener: (health: ClusterHealth) => void): void;
}
