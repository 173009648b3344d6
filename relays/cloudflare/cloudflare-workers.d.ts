/**
 * The few types of the `cloudflare:workers` module gemrelay uses, declared locally because
 * @cloudflare/workers-types redefines DOM and Node globals. Shapes follow
 * https://developers.cloudflare.com/durable-objects/api/ (state, storage, SQL storage).
 * Only the `DurableObject` class exists at runtime; the interfaces are type-only imports.
 */
declare module "cloudflare:workers" {
  /** A value SQLite storage binds or returns (blobs come back as ArrayBuffer). */
  export type SqlStorageValue = ArrayBuffer | string | number | null;

  /** The result of `sql.exec`: rows are read lazily, so consume it before any await. */
  export interface SqlStorageCursorLike<T extends Record<string, SqlStorageValue> = Record<string, SqlStorageValue>>
    extends Iterable<T> {
    toArray(): T[];
    one(): T;
    readonly columnNames: string[];
    readonly rowsRead: number;
    readonly rowsWritten: number;
  }

  /** `ctx.storage.sql` of a SQLite-backed Durable Object. At most 100 bindings per statement. */
  export interface SqlStorageLike {
    exec<T extends Record<string, SqlStorageValue> = Record<string, SqlStorageValue>>(
      query: string,
      ...bindings: SqlStorageValue[]
    ): SqlStorageCursorLike<T>;
    readonly databaseSize: number;
  }

  /** `ctx.storage`: only what gemrelay uses. */
  export interface DurableObjectStorageLike {
    readonly sql: SqlStorageLike;
    /** Runs `closure` as one SQLite transaction, rolled back if it throws. */
    transactionSync<T>(closure: () => T): T;
    /** The key-value API (kept in the same SQLite database). */
    get<T = unknown>(key: string): Promise<T | undefined>;
    put(key: string, value: unknown): Promise<void>;
  }

  /** A Durable Object's id. */
  export interface DurableObjectIdLike {
    toString(): string;
    readonly name?: string;
  }

  /** `ctx`, the state handed to a Durable Object's constructor. */
  export interface DurableObjectStateLike {
    readonly id: DurableObjectIdLike;
    readonly storage: DurableObjectStorageLike;
    waitUntil(promise: Promise<unknown>): void;
    blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
  }

  /** A client-side handle on one Durable Object instance. */
  export interface DurableObjectStubLike {
    fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  }

  /** The Durable Object namespace binding a worker receives in `env`. */
  export interface DurableObjectNamespaceLike {
    idFromName(name: string): DurableObjectIdLike;
    get(id: DurableObjectIdLike): DurableObjectStubLike;
  }

  /** Base class of Durable Objects (enables RPC on stubs). */
  export class DurableObject<Env = unknown> {
    protected ctx: DurableObjectStateLike;
    protected env: Env;
    constructor(ctx: DurableObjectStateLike, env: Env);
  }
}
