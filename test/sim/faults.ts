/**
 * The queue of injected faults: first in, first out, each consumed by the next matching request
 * (`times` of them when the fault says so).
 */
import { stripModelsPrefix } from "./models.ts";
import type { Action, Fault, FaultMatch } from "./types.ts";

/** Actions a fault applies to when its match names none. */
const defaultActions: readonly Action[] = ["generateContent", "streamGenerateContent"];

interface Pending {
  fault: Fault;
  match: FaultMatch;
  remaining: number;
}

/** What a request looks like to the fault matcher. */
export interface FaultTarget {
  model: string | null;
  key: string | null;
  hop: string | null;
  action: Action;
}

/** FIFO fault queue. */
export class FaultQueue {
  #pending: Pending[] = [];

  /** Queues `fault` for the next request matching `match`. */
  enqueue(fault: Fault, match: FaultMatch = {}): void {
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`fault.times must be a positive integer, got ${String(fault.times)}`);
    this.#pending.push({ fault, match, remaining: times });
  }

  /** Takes the first fault matching `target`, or null. */
  take(target: FaultTarget): Fault | null {
    const index = this.#pending.findIndex((pending) => matches(pending.match, target));
    const pending = this.#pending[index];
    if (!pending) return null;
    pending.remaining -= 1;
    if (pending.remaining === 0) this.#pending.splice(index, 1);
    return pending.fault;
  }

  /** Faults still waiting (a fault with `times: 3` counts once). */
  get size(): number {
    return this.#pending.length;
  }

  /** Drops every queued fault. */
  clear(): void {
    this.#pending = [];
  }
}

function matches(match: FaultMatch, target: FaultTarget): boolean {
  const actions = match.action === undefined ? defaultActions : Array.isArray(match.action) ? match.action : [match.action];
  if (!actions.includes(target.action)) return false;
  if (match.model !== undefined && (target.model === null || stripModelsPrefix(match.model) !== stripModelsPrefix(target.model))) return false;
  if (match.key !== undefined && match.key !== target.key) return false;
  if (match.hop !== undefined && match.hop !== target.hop) return false;
  return true;
}
