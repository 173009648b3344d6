/**
 * Requests spent per (key group, model) in this isolate or process: a sliding minute and the
 * current Pacific day (Gemini's daily quotas reset at midnight Pacific time). On the self-host this
 * is the one process, so it is exact; on Cloudflare each isolate counts its own requests, so the
 * budget is best effort there (README, Operations).
 */
import { nextPacificMidnight } from "../gemini/classify.ts";
import { BoundedMap } from "../bounded-map.ts";
import type { BudgetLimits } from "./budget-policy.ts";

const minuteMs = 60_000;

interface Counter {
  /** Start times of the requests of the last minute, oldest first. */
  minute: number[];
  /** Input tokens of the last minute's finished requests, oldest first (counted after the fact). */
  tokens: { at: number; count: number }[];
  /** The Pacific midnight that ends the day counted in `day`. */
  dayEnds: number;
  day: number;
}

/** Requests of a unit and model: in the last minute and in the current Pacific day; input tokens in the last minute. */
export interface Spent {
  minute: number;
  day: number;
  tokensMinute: number;
}

/** A unit × model's request count of the current Pacific day. */
export interface DayCount {
  name: string;
  dayEnds: number;
  day: number;
}

/**
 * Most (unit, model) counters kept: model names come from clients, so without a bound every name
 * tried would keep a counter (and a row of `/status`, and bytes of the Durable Object's saved
 * days) for good. The least recently used goes first; a pool's real units × models fit many times.
 */
export const ledgerLimit = 2_000;

/** The per-isolate budget counters. */
export class BudgetLedger {
  private readonly counters = new BoundedMap<string, Counter>(ledgerLimit);

  private counter(unit: string, model: string, now: number): Counter {
    const name = `${unit}\u0000${model}`;
    let counter = this.counters.get(name);
    if (counter === undefined) {
      counter = { minute: [], tokens: [], dayEnds: nextPacificMidnight(now), day: 0 };
      this.counters.set(name, counter);
    }
    while (counter.minute.length > 0 && (counter.minute[0] ?? 0) <= now - minuteMs) counter.minute.shift();
    while (counter.tokens.length > 0 && (counter.tokens[0]?.at ?? 0) <= now - minuteMs) counter.tokens.shift();
    if (now >= counter.dayEnds) {
      counter.dayEnds = nextPacificMidnight(now);
      counter.day = 0;
    }
    return counter;
  }

  /** Requests spent now. */
  spent(unit: string, model: string, now: number): Spent {
    const counter = this.counter(unit, model, now);
    return { minute: counter.minute.length, day: counter.day, tokensMinute: counter.tokens.reduce((sum, entry) => sum + entry.count, 0) };
  }

  /** `now` when a request fits the limits, else the epoch ms of the next slot. */
  nextSlot(unit: string, model: string, limits: BudgetLimits, now: number): number {
    const counter = this.counter(unit, model, now);
    let slot = now;
    if (limits.rpd !== undefined && counter.day >= limits.rpd) slot = Math.max(slot, counter.dayEnds);
    if (limits.rpm !== undefined && counter.minute.length >= limits.rpm) {
      const oldest = counter.minute[counter.minute.length - limits.rpm];
      slot = Math.max(slot, oldest === undefined ? now + minuteMs : oldest + minuteMs);
    }
    if (limits.tpm !== undefined) {
      // Tokens are known only after a request, so a key may go over by one request; then it waits
      // until enough of the minute's tokens have aged out.
      let total = counter.tokens.reduce((sum, entry) => sum + entry.count, 0);
      for (const entry of counter.tokens) {
        if (total < limits.tpm) break;
        total -= entry.count;
        slot = Math.max(slot, entry.at + minuteMs);
      }
    }
    return slot;
  }

  /** Counts the input tokens of a finished request. */
  spendTokens(unit: string, model: string, count: number, now: number): void {
    this.counter(unit, model, now).tokens.push({ at: now, count });
  }

  /** Counts one request. */
  spend(unit: string, model: string, now: number): void {
    const counter = this.counter(unit, model, now);
    counter.minute.push(now);
    counter.day += 1;
  }

  /** Counts one request when it fits `limits` and returns `now`; else returns the next slot and counts nothing. */
  reserve(unit: string, model: string, limits: BudgetLimits, now: number): number {
    const slot = this.nextSlot(unit, model, limits, now);
    if (slot <= now) this.spend(unit, model, now);
    return slot;
  }

  /** The day counts, to keep them across a restart (the Durable Object persists them); counters at 0 need no keeping. */
  days(): DayCount[] {
    return [...this.counters].filter(([, counter]) => counter.day > 0).map(([name, counter]) => ({ name, dayEnds: counter.dayEnds, day: counter.day }));
  }

  /** Restores {@link days} (counts of a day that has ended are dropped when next read). */
  restoreDays(days: readonly DayCount[]): void {
    for (const { name, dayEnds, day } of days.slice(-ledgerLimit)) this.counters.set(name, { minute: [], tokens: [], dayEnds, day });
  }

  /** Models with counters, the most recently counted first, for the status page. */
  models(): string[] {
    return [...new Set([...this.counters.keys()].reverse().map((name) => name.split("\u0000")[1] ?? ""))];
  }

  /** Counters held now (bounded by {@link ledgerLimit}). */
  get size(): number {
    return this.counters.size;
  }

  /** Forgets every counter (restore, tests). */
  clear(): void {
    this.counters.clear();
  }
}
