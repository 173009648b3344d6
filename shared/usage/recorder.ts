/**
 * Usage and request log writes, off the hot path: finished requests gather in the isolate and go
 * to the Store in one write per flush window, from a background task (Cloudflare's waitUntil,
 * so the isolate stays alive for it). Retention is applied at most once an hour per isolate.
 */
import { poolKeyId } from "../keys/identity.ts";
import { maskSecret } from "../secrets.ts";
import { addUsage, utcDay, type RequestLogEntry, type UsageDelta } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import type { FinishedRequest } from "./trace.ts";

/** Tuning and injected time. */
export interface RecorderOptions {
  flushMs: number;
  retentionDays: number;
  requestLogLimit: number;
  clock: () => number;
  onError?: (error: unknown) => void;
}

const pruneEveryMs = 3_600_000;
const dayMs = 86_400_000;

/** Gathers finished requests and writes them to the Store in batches. */
export class UsageRecorder {
  private pending: FinishedRequest[] = [];
  private scheduled: Promise<void> | null = null;
  private lastPrune = -Infinity;
  /**
   * Requests refused because they failed authentication, since this isolate or process started.
   * They get no usage row and no log entry (their model and key are the caller's choice, and an
   * anonymous flood must not push real entries out of the log): only this one number.
   */
  private unauthenticated = 0;

  constructor(
    private readonly store: Store,
    private readonly options: RecorderOptions,
  ) {}

  /**
   * Queues a finished request; returns the flush that will write it (within the flush window),
   * for the platform to wait on in the background. Never rejects: failures go to `onError`.
   */
  add(request: FinishedRequest): Promise<void> {
    this.pending.push(request);
    this.scheduled ??= new Promise<void>((done) => setTimeout(done, this.options.flushMs))
      .then(() => {
        // Requests finishing from here on wait for the next flush, not this one.
        this.scheduled = null;
        return this.flush();
      })
      .catch((error: unknown) => this.options.onError?.(error));
    return this.scheduled;
  }

  /** Counts one request that failed authentication (see {@link refusals}). */
  refuse(): void {
    this.unauthenticated += 1;
  }

  /** The aggregate of refused requests, for /status. */
  refusals(): { unauthenticated: number } {
    return { unauthenticated: this.unauthenticated };
  }

  /** Writes everything queued now (one Store call), then applies retention when due. */
  async flush(): Promise<void> {
    // Requests finish in any order; the log keeps the order in which they arrived.
    const batch = this.pending.sort((first, second) => first.sequence - second.sequence);
    this.pending = [];
    if (batch.length > 0) {
      const entries = await Promise.all(batch.map((request) => this.describe(request)));
      await this.store.recordUsage({ daily: mergeDeltas(entries.map((entry) => entry.delta)), requests: entries.map((entry) => entry.logged) });
    }
    const now = this.options.clock();
    if (now - this.lastPrune >= pruneEveryMs) {
      this.lastPrune = now;
      await this.store.pruneUsage({
        beforeDay: utcDay(now - (this.options.retentionDays - 1) * dayMs),
        maxRequests: this.options.requestLogLimit,
      });
    }
  }

  private async describe(request: FinishedRequest): Promise<{ delta: UsageDelta; logged: RequestLogEntry }> {
    const usage = request.usage;
    const promptTokens = usage?.promptTokenCount ?? 0;
    const completionTokens = usage?.candidatesTokenCount ?? 0;
    const thoughtTokens = usage?.thoughtsTokenCount ?? 0;
    const failed = request.status >= 400 || request.failedInBand;
    const delta: UsageDelta = {
      day: utcDay(request.at),
      accessKey: request.accessKey,
      poolKey: request.key === null ? "" : await poolKeyId(request.key),
      model: request.model,
      requests: 1,
      errors: failed ? 1 : 0,
      promptTokens,
      // Part of promptTokenCount, billed at the cached price (cost.ts).
      cachedTokens: usage?.cachedContentTokenCount ?? 0,
      completionTokens,
      thoughtTokens,
      resumes: request.resumes,
    };
    const logged: RequestLogEntry = {
      at: request.at,
      accessKey: request.accessKey,
      model: request.model,
      poolKey: request.key === null ? "" : maskSecret(request.key),
      relay: request.relay,
      status: request.status,
      latencyMs: request.latencyMs,
      attempts: request.attempts,
      resumes: request.resumes,
      promptTokens,
      completionTokens,
      thoughtTokens,
    };
    return { delta, logged };
  }
}

/** One delta per (day, access key, pool key, model): fewer statements per flush. */
function mergeDeltas(deltas: readonly UsageDelta[]): UsageDelta[] {
  const merged = new Map<string, UsageDelta>();
  for (const delta of deltas) {
    const id = [delta.day, delta.accessKey, delta.poolKey, delta.model].join("\0");
    const existing = merged.get(id);
    if (existing) addUsage(existing, delta);
    else merged.set(id, { ...delta });
  }
  return [...merged.values()];
}
