/**
 * A map that never holds more than a fixed number of entries, forgetting the least recently used
 * first. For every map whose keys a client can choose (model names, pass-through keys, alert
 * subjects): however many distinct values arrive, memory, `/status` and persisted copies stay
 * bounded. Maps keyed only by validated, known values (pool keys, relay ids) do not need it.
 */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>();

  /** `limit`: the most entries kept (at least 1). */
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError("BoundedMap needs a limit of at least 1.");
  }

  /** Entries held now (never more than `limit`). */
  get size(): number {
    return this.entries.size;
  }

  /** The value for `key`, which then counts as just used. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      // Map keeps insertion order: re-inserting moves the entry to the most recent end.
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** True when `key` is held (without counting as a use). */
  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Stores `value` for `key` as the most recent entry, forgetting the oldest beyond the limit. */
  set(key: K, value: V): this {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    return this;
  }

  /** Forgets `key`; true when it was held. */
  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  /** Forgets every entry. */
  clear(): void {
    this.entries.clear();
  }

  /** Entries from the least to the most recently used. */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries[Symbol.iterator]();
  }

  /** Keys from the least to the most recently used. */
  keys(): IterableIterator<K> {
    return this.entries.keys();
  }
}
