/**
 * Cloudflare entry of the resume worker. The pick happens here, in the stateless isolate, from a
 * cached snapshot; the PoolState Durable Object only holds state (DESIGN.md, Routing).
 */
import { DurableObject, type DurableObjectIdLike, type DurableObjectStateLike } from "cloudflare:workers";
import { createApp } from "../../shared/app.ts";
import { readWorkerConfig } from "../../shared/config/env.ts";
import { inProcessEgress, relayEgress, relayId } from "../../shared/egress/egress.ts";
import { GemrelayError, SetupError, geminiErrorResponse } from "../../shared/errors.ts";
import { dispatchStoreCall, remoteStore, type StoreMethod } from "../../shared/store/remote.ts";
import { openSealedStore } from "../../shared/store/sealed.ts";
import { SqlStore } from "../../shared/store/sql.ts";
import type { Store } from "../../shared/store/store.ts";
import { durableObjectSqlExecutor } from "./sql-executor.ts";

/** The POOL binding as this worker uses it: RPC to PoolState.call. */
interface PoolNamespace {
  idFromName(name: string): DurableObjectIdLike;
  get(id: DurableObjectIdLike, options?: { locationHint?: string }): { call(method: StoreMethod, args: unknown[]): Promise<unknown> };
}

interface Env extends Record<string, unknown> {
  POOL: PoolNamespace;
}

/** The per-request context Cloudflare passes (Hono's ExecutionContext type describes it). */
type ExecutionContextLike = Parameters<ReturnType<typeof createApp>["fetch"]>[2];

/** The SQLite Durable Object holding keys, cooldowns, counters and usage for every isolate. */
export class PoolState extends DurableObject<Env> {
  private readonly store: Promise<Store>;

  constructor(ctx: DurableObjectStateLike, env: Env) {
    super(ctx, env);
    const config = readWorkerConfig(env);
    const database = new SqlStore(durableObjectSqlExecutor(ctx.storage.sql, ctx.storage));
    // Pool keys are sealed here, where they are stored, when ENCRYPTION_KEY is set.
    this.store = openSealedStore(database, config.admin.encryptionKey).then(async (store) => {
      await store.addKeys(config.poolKeys, Date.now());
      return store;
    });
    void ctx.blockConcurrencyWhile(() => this.store);
  }

  /** RPC: one Store call from a worker isolate. */
  async call(method: StoreMethod, args: unknown[]): Promise<unknown> {
    return dispatchStoreCall(await this.store, method, args);
  }
}

let cached: { env: Env; app: ReturnType<typeof createApp> } | null = null;

function appFor(env: Env): ReturnType<typeof createApp> {
  if (cached?.env === env) return cached.app;
  const config = readWorkerConfig(env);
  // A stub is an I/O object bound to the request that made it: take a fresh one per call.
  const id = env.POOL.idFromName("pool");
  // The manifest's worker.locationHint places the object near the worker's placement region.
  const options = typeof env.POOL_LOCATION_HINT === "string" && env.POOL_LOCATION_HINT ? { locationHint: env.POOL_LOCATION_HINT } : {};
  const store = remoteStore((method, args) => env.POOL.get(id, options).call(method, args));
  if (config.relays.length > 0 && !config.relayToken) throw new SetupError("RELAY_URLS is set but RELAY_TOKEN is not: set the relay hop secret.");
  const token = config.relayToken ?? "";
  const egresses =
    config.relays.length > 0
      ? config.relays.map((relay) => relayEgress(relayId(relay.url), relay.url, token, relay.weight))
      : [inProcessEgress(config.upstream)];
  const app = createApp({ config, store, egresses, platform: "cloudflare" });
  cached = { env, app };
  return app;
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContextLike): Promise<Response> {
    try {
      return await appFor(env).fetch(request, env, ctx);
    } catch (error) {
      // Only configuration problems get here (the app maps its own errors); say what to fix.
      if (error instanceof GemrelayError) return geminiErrorResponse(error);
      return geminiErrorResponse(new SetupError(`gemrelay worker misconfigured: ${error instanceof Error ? error.message : String(error)}`));
    }
  },
};
