/**
 * Alerts of one isolate or process: de-duplicated (one per kind and subject per ALERT_REPEAT_MS),
 * rate-limited (ALERT_MAX_PER_MINUTE), sent to the webhook in the background (waitUntil), and
 * kept in a short event feed for the admin API. An outage sends one message, not thousands.
 */
import { BoundedMap } from "../bounded-map.ts";
import type { Background } from "../routing/pool-view.ts";
import type { AlertConfig } from "./config.ts";
import { alertPayload, type AlertEvent } from "./payload.ts";

/** A feed entry: the event and whether the webhook was called for it. */
export interface FeedEntry extends AlertEvent {
  sent: boolean;
  /** Why it was not sent: `no-webhook`, `rate-limited`, or the webhook's failure. */
  note?: string;
}

const feedLength = 200;
const spikeWindowMs = 5 * 60_000;

/** The alert service of an app. */
export class Alerts {
  /** Bounded: a subject can be a model name a client chose. */
  private readonly lastSent = new BoundedMap<string, number>(1_000);
  private readonly recentSends: number[] = [];
  private readonly exhausted: number[] = [];
  private readonly feed: FeedEntry[] = [];

  constructor(
    readonly config: AlertConfig,
    private readonly clock: () => number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Raises an alert; a repeat within the interval is dropped, the webhook call runs in `background`. */
  raise(event: Omit<AlertEvent, "at">, background: Background): void {
    const now = this.clock();
    const dedupe = `${event.kind}\u0000${event.subject}`;
    const previous = this.lastSent.get(dedupe);
    if (previous !== undefined && now - previous < this.config.repeatMs) return;
    this.lastSent.set(dedupe, now);
    const entry: FeedEntry = { ...event, at: now, sent: false };
    this.feed.unshift(entry);
    this.feed.length = Math.min(this.feed.length, feedLength);
    while (this.recentSends.length > 0 && (this.recentSends[0] ?? 0) <= now - 60_000) this.recentSends.shift();
    if (this.config.webhookUrl === undefined) {
      entry.note = "no-webhook";
      return;
    }
    if (this.recentSends.length >= this.config.maxPerMinute) {
      entry.note = "rate-limited";
      return;
    }
    this.recentSends.push(now);
    background(this.deliver(this.config.webhookUrl, entry));
  }

  /** Counts an answer that ended exhausted; alerts when they pile up (ALERT_EXHAUSTED_SPIKE in five minutes). */
  exhaustedAnswer(background: Background): void {
    const now = this.clock();
    this.exhausted.push(now);
    while (this.exhausted.length > 0 && (this.exhausted[0] ?? 0) <= now - spikeWindowMs) this.exhausted.shift();
    if (this.exhausted.length >= this.config.exhaustedSpike) {
      this.raise({ kind: "resume-exhausted-spike", subject: "resume", message: `${this.exhausted.length} answers could not be completed within five minutes.`, details: { count: this.exhausted.length } }, background);
    }
  }

  /** The newest events first. */
  events(): FeedEntry[] {
    return this.feed.map((entry) => ({ ...entry }));
  }

  private async deliver(url: string, entry: FeedEntry): Promise<void> {
    try {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(alertPayload(entry, this.config)) });
      await response.body?.cancel();
      entry.sent = response.ok;
      if (!response.ok) entry.note = `webhook answered HTTP ${response.status}`;
    } catch (error) {
      entry.note = "webhook unreachable";
      this.onError(error);
    }
  }
}
