/**
 * A JSON document kept in one Store setting (policy, budgets, key metadata), editable at runtime
 * from the admin API, with a default from the environment. Each isolate keeps a copy and re-reads
 * it when older than `refreshMs` (behind the scenes), so the hot path never waits for the Store
 * after the first read.
 */
import type { z } from "zod";
import type { Store } from "../store/store.ts";
import { updateSetting } from "../store/update.ts";

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
  /** Updates of this isolate run one after another, so they do not race each other's compare-and-set. */
  private updating: Promise<unknown> = Promise.resolve();

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

  /**
   * Read-modify-write, atomic across isolates and instances: `change` receives the document as
   * stored now (never this isolate's possibly stale copy) and returns the new one, or the same
   * object to change nothing. It may run more than once when another writer wins a round.
   */
  update(change: (current: T) => T): Promise<T> {
    const run = this.updating.then(() => this.applyUpdate(change));
    this.updating = run.catch(() => undefined);
    return run;
  }

  /**
   * The document `text` holds, validated exactly as the admin API validates a PUT; throws a
   * zod error naming the field (or a SyntaxError for text that is not JSON).
   */
  parseText(text: string): T {
    return this.options.schema.parse(JSON.parse(text) as unknown);
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

  /**
   * Why the stored text is not in force (a SyntaxError or the schema's error), or null when it is
   * or nothing is stored: such a document is answered with the default instead, so say so.
   */
  async storedProblem(): Promise<unknown> {
    const text = await this.storedText();
    if (text === null) return null;
    try {
      this.parseText(text);
      return null;
    } catch (error) {
      return error;
    }
  }

  /** The stored text, or null when the default applies (for backups). */
  async storedText(): Promise<string | null> {
    const text = await this.store.getSetting(this.options.name);
    return text === null || text === "" ? null : text;
  }

  private async applyUpdate(change: (current: T) => T): Promise<T> {
    let result = this.options.fallback;
    await updateSetting(this.store, this.options.name, (text) => {
      const current = this.decode(text);
      const changed = change(current);
      result = changed === current ? current : this.options.schema.parse(changed);
      return changed === current ? null : JSON.stringify(result);
    });
    this.remember(result);
    return result;
  }

  /** The stored text as a document: the default when empty, absent or no longer valid. */
  private decode(text: string | null): T {
    if (text === null || text === "") return this.options.fallback;
    // A document that no longer validates (older version) falls back to the default, never breaks requests.
    const parsed = this.options.schema.safeParse(safeJson(text));
    return parsed.success ? parsed.data : this.options.fallback;
  }

  private async load(): Promise<T> {
    const generation = this.generation;
    const value = this.decode(await this.store.getSetting(this.options.name));
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
