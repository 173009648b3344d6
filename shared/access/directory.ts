/**
 * The isolate-local copy of the access keys, so that authenticating a client never waits for the
 * Store on the hot path (on Cloudflare the Store is one Durable Object for the whole world).
 *
 * Freshness: a copy older than `refreshMs` is refreshed in the background while it keeps
 * serving; one older than `maxStaleMs` (an isolate that sat idle) is refreshed before it answers.
 * A revocation therefore reaches every isolate within seconds, and at once on the isolate that
 * made it (the admin route invalidates). A hash not in the copy forces one refresh at most once a
 * second, so a key created on another isolate works right away while a flood of wrong keys costs
 * at most one Store read per second.
 */
import type { Background } from "../routing/pool-view.ts";
import { secretEquals } from "../secrets.ts";
import type { AccessKeyRecord } from "../store/records.ts";
import type { Store } from "../store/store.ts";

/** Tuning and injected time. */
export interface DirectoryOptions {
  refreshMs: number;
  clock: () => number;
  onBackgroundError?: (error: unknown) => void;
}

/** Minimum time between two refreshes forced by an unknown hash. */
const unknownRefreshMs = 1_000;

/** This isolate's copy of the access keys (see the module comment for freshness). */
export class AccessKeyDirectory {
  private records: AccessKeyRecord[] = [];
  private loadedAt = -Infinity;
  private loading: Promise<void> | null = null;
  private lastForced = -Infinity;

  constructor(
    private readonly store: Store,
    private readonly options: DirectoryOptions,
  ) {}

  /**
   * The record whose hash equals `hash` (every record is compared in constant time, no early
   * exit), or null.
   */
  async find(hash: string, background: Background): Promise<AccessKeyRecord | null> {
    return this.lookup(() => this.match(hash), background);
  }

  /** The record with id `id` (revoked ones included), or null; ids are not secret. */
  async byId(id: string, background: Background): Promise<AccessKeyRecord | null> {
    return this.lookup(() => this.records.find((record) => record.id === id) ?? null, background);
  }

  /** `search` on a fresh copy, refreshed once more (rate-limited) when it finds nothing. */
  private async lookup(search: () => AccessKeyRecord | null, background: Background): Promise<AccessKeyRecord | null> {
    await this.fresh(background);
    let found = search();
    const now = this.options.clock();
    if (found === null && now - this.loadedAt > unknownRefreshMs && now - this.lastForced > unknownRefreshMs) {
      this.lastForced = now;
      await this.refresh();
      found = search();
    }
    return found;
  }

  /** True when the Store held at least one access key at the last refresh (revoked ones included). */
  async hasAny(background: Background): Promise<boolean> {
    await this.fresh(background);
    return this.records.length > 0;
  }

  /** Reads the Store now (after this isolate created or revoked a key). */
  refresh(): Promise<void> {
    this.loading ??= this.store
      .listAccessKeys()
      .then((records) => {
        this.records = records;
        this.loadedAt = this.options.clock();
      })
      .finally(() => (this.loading = null));
    return this.loading;
  }

  private async fresh(background: Background): Promise<void> {
    const age = this.options.clock() - this.loadedAt;
    if (age > this.maxStaleMs) return this.refresh();
    if (age > this.options.refreshMs && this.loading === null) {
      background(this.refresh().catch((error: unknown) => this.options.onBackgroundError?.(error)));
    }
  }

  /** Past this age the copy is not trusted at all: four refresh periods. */
  private get maxStaleMs(): number {
    return this.options.refreshMs * 4;
  }

  private match(hash: string): AccessKeyRecord | null {
    let found: AccessKeyRecord | null = null;
    for (const record of this.records) if (secretEquals(hash, record.hash)) found = record;
    return found;
  }
}
