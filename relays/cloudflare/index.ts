/**
 * Cloudflare entry of the resume worker. The pick happens here, in the stateless isolate, from a
 * cached snapshot; the PoolState Durable Object only holds state (DESIGN.md, Routing).
 */
import { DurableObject, type DurableObjectIdLike, type DurableObjectStateLike } from "cloudflare:workers";
import { createApp } from "../../shared/app.ts";
import { readWorkerConfig } from "../../shared/config/env.ts";
import { inProcessEgress, relayEgress, relayId } from "../../shared/egress/egress.ts";
import { GemrelayError, SetupError, geminiErrorResponse } from "../../shared/errors.ts";
import { rejectedKeyEntries } from "../../shared/keys/validate.ts";
import { maskSecretsIn } from "../../shared/secrets.ts";
import { budgetMethods, ledgerCounter, type BudgetCounter, type BudgetMethod } from "../../shared/budget/counter.ts";
import { BudgetLedger, type DayCount } from "../../shared/budget/ledger.ts";
import { dispatchCall, dispatchStoreCall, remoteProxy, remoteStore, type StoreMethod } from "../../shared/store/remote.ts";
import { openSealedStore } from "../../shared/store/sealed.ts";
import { SqlStore } from "../../shared/store/sql.ts";
import { cloudflareClientAddress } from "../../shared/net/client-address.ts";
import type { Store } from "../../shared/store/store.ts";
import { durableObjectSqlExecutor } from "./sql-executor.ts";
import { workerLiveConnect, workerLivePlatform } from "./live.ts";

/** The POOL binding as this worker uses it: RPC to PoolState.call and PoolState.budget. */
interface PoolNamespace {
  idFromName(name: string): DurableObjectIdLike;
  get(
    id: DurableObjectIdLike,
    options?: { locationHint?: string },
  ): { call(method: StoreMethod, args: unknown[]): Promise<unknown>; budget(method: BudgetMethod, args: unknown[]): Promise<unknown> };
}

/** Storage key of the budget day counts (a day's counts survive the object's eviction). */
const budgetDaysKey = "budget-days";
/** Longest delay before changed day counts are written. */
const budgetSaveMs = 1_000;

interface Env extends Record<string, unknown> {
  POOL: PoolNamespace;
}

/** The per-request context Cloudflare passes (Hono's ExecutionContext type describes it). */
type ExecutionContextLike = Parameters<ReturnType<typeof createApp>["fetch"]>[2];

/** The SQLite Durable Object holding keys, cooldowns, counters and usage for every isolate. */
export class PoolState extends DurableObject<Env> {
  private readonly store: Promise<Store>;
  /** Budget counts of every isolate: one object, so they are exact (budget/counter.ts). */
  private readonly ledger = new BudgetLedger();
  private readonly budgets = ledgerCounter(this.ledger);
  private saving: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectStateLike, env: Env) {
    super(ctx, env);
    const config = readWorkerConfig(env);
    const database = new SqlStore(durableObjectSqlExecutor(ctx.storage.sql, ctx.storage));
    // Pool keys are sealed here, where they are stored, when ENCRYPTION_KEY is set.
    this.store = openSealedStore(database, config.admin.encryptionKey).then(async (store) => {
      await store.addKeys(config.poolKeys, Date.now());
      return store;
    });
    void ctx.blockConcurrencyWhile(async () => {
      this.ledger.restoreDays((await ctx.storage.get<DayCount[]>(budgetDaysKey)) ?? []);
      await this.store;
    });
  }

  /** RPC: one Store call from a worker isolate. */
  async call(method: StoreMethod, args: unknown[]): Promise<unknown> {
    return dispatchStoreCall(await this.store, method, args);
  }

  /** RPC: one budget counter call from a worker isolate. */
  async budget(method: BudgetMethod, args: unknown[]): Promise<unknown> {
    const result = await dispatchCall(this.budgets, budgetMethods, method, args);
    if (method === "reserve" && this.saving === null) {
      this.saving = setTimeout(() => {
        this.saving = null;
        void this.ctx.storage.put(budgetDaysKey, this.ledger.days());
      }, budgetSaveMs);
    }
    return result;
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
  const budgetCounter = remoteProxy<BudgetCounter, BudgetMethod>(budgetMethods, (method, args) => env.POOL.get(id, options).budget(method, args));
  if (config.relays.length > 0 && !config.relayToken) throw new SetupError("RELAY_URLS is set but RELAY_TOKEN is not: set the relay hop secret.");
  const token = config.relayToken ?? "";
  const egresses =
    config.relays.length > 0
      ? config.relays.map((relay) => relayEgress(relayId(relay.url), relay.url, token, relay.weight, fetch, relay.maxStreamMs))
      : [inProcessEgress(config.upstream, fetch, workerLiveConnect)];
  // Only the edge sets cf-connecting-ip (it overwrites a client's); forwarded headers are never believed here.
  const app = createApp({ config, store, egresses, platform: "cloudflare", budgetCounter, clientAddress: cloudflareClientAddress, live: workerLivePlatform });
  // Once per isolate: the malformed GEMINI_API_KEYS entries, masked (they are never seeded).
  for (const entry of rejectedKeyEntries("GEMINI_API_KEYS", config.rejectedPoolKeys)) console.log(JSON.stringify(entry));
  cached = { env, app };
  return app;
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContextLike): Promise<Response> {
    try {
      return await appFor(env).fetch(request, env, ctx);
    } catch (error) {
      // Only configuration problems get here (the app maps its own errors); say what to fix. The
      // message names the variable at fault (config/env.ts), masked like a log line all the same.
      if (error instanceof GemrelayError) return geminiErrorResponse(error);
      return geminiErrorResponse(new SetupError(`gemrelay worker misconfigured: ${maskSecretsIn(error instanceof Error ? error.message : String(error))}`));
    }
  },
};
