/**
 * The upstream's model list, cached per isolate for pool-mode clients (issue: lists are "built from
 * the upstream's model list and cached"). Policy (disabled models, aliases) is applied after the
 * cache, so a policy change shows at once. Pass-through clients bring their own key, whose model
 * access may differ: they always get a fresh list.
 */
import { BoundedMap } from "../bounded-map.ts";

/** How long a cached model list is served. */
export const modelListTtlMs = 300_000;

/** A small time-bounded cache keyed by the upstream path and query of the list request. */
export class ModelListCache<T> {
  /** Lists are few (one per page size and token): the bound keeps a misbehaving client from growing it. */
  private readonly entries = new BoundedMap<string, { value: T; until: number }>(64);

  constructor(private readonly clock: () => number) {}

  /** The cached value for `key`, or undefined when absent or expired. */
  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.until <= this.clock()) return undefined;
    return entry.value;
  }

  /** Stores `value` for `key` for the cache lifetime. */
  set(key: string, value: T): void {
    this.entries.set(key, { value, until: this.clock() + modelListTtlMs });
  }
}
