/**
 * A JSON document kept in one Store setting (policy, budgets, key metadata), editable at runtime
 * from the admin API, with a default from the environment. Each isolate keeps a copy and re-reads
 * it when older than `refreshMs` (behind the scenes), so the hot path never waits for the Store
 * after the first read.
 */
import type { z } from "zod";
import type { Store } from "../store/store.ts";

/** Options of a SettingDocument. */
export interface SettingDocumentOptions<T> {
  /** Setting name in the Store, e.g. `policy.models`. */
  name: string;
  /** Validates what is stored (and what the admin API writes). */
  schema: z.ZodType<T>;
  /** Used while nothing is stored (from the environment or the manifest). */
  fallback: T;
  refreshMs: number;
  clock: () => number;
}

/** One cached, validated setting document. */
export class SettingDocument<T> {
  private value: T | null = null;
  private readAt = -Infinity;
  private loading: Promise<T> | null = null;
  /** Bumped by writes and `forget`: a read that started before must not overwrite what came after. */
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly options: SettingDocumentOptions<T>,
  ) {}

  /** The setting's name in the Store. */
  get name(): string {
    return this.options.name;
  }

  /** The default used while nothing is stored. */
  get fallback(): T {
    return this.options.fallback;
  }

  /**
   * The current document. Waits for the Store only for the first read (or after `forget`); a
   * stale copy keeps serving while a fresh read runs, so requests never wait on the Store
   * (on Cloudflare a Durable Object round trip) once the copy exists.
   */
  async current(): Promise<T> {
    if (this.value !== null && this.options.clock() - this.readAt <= this.options.refreshMs) return this.value;
    this.loading ??= this.load().finally(() => (this.loading = null));
    if (this.value === null) return this.loading;
    // A failed refresh keeps the last copy; the next stale read tries again.
    this.loading.catch(() => undefined);
    return this.value;
  }

  /** Validates and stores a new document; it applies in this isolate at once. */
  async set(value: T): Promise<T> {
    const parsed = this.options.schema.parse(value);
    await this.store.setSetting(this.options.name, JSON.stringify(parsed));
    this.remember(parsed);
    return parsed;
  }

  /** Goes back to the default (an empty setting means "use the default"). */
  async reset(): Promise<T> {
    await this.store.setSetting(this.options.name, "");
    this.remember(this.options.fallback);
    return this.options.fallback;
  }

  /** Drops this isolate's copy: the next read goes to the Store (after a restore). */
  forget(): void {
    this.generation += 1;
    this.value = null;
    this.loading = null;
  }

  /** The stored text, or null when the default applies (for backups). */
  async storedText(): Promise<string | null> {
    const text = await this.store.getSetting(this.options.name);
    return text === null || text === "" ? null : text;
  }

  private async load(): Promise<T> {
    const generation = this.generation;
    const text = await this.store.getSetting(this.options.name);
    let value = this.options.fallback;
    if (text !== null && text !== "") {
      // A document that no longer validates (older version) falls back to the default, never breaks requests.
      const parsed = this.options.schema.safeParse(safeJson(text));
      if (parsed.success) value = parsed.data;
    }
    // Something newer was written or forgotten meanwhile: keep it, or read again.
    if (generation !== this.generation) return this.value ?? this.current();
    this.remember(value);
    return value;
  }

  private remember(value: T): void {
    this.generation += 1;
    this.value = value;
    this.readAt = this.options.clock();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
