/**
 * Test-only worker: a Durable Object holding a SqlStore over `ctx.storage.sql`, reachable as
 * `POST /call/<method>?name=<object name>` with the method's arguments as a JSON array. The
 * answer is `{ result }` or, on failure, status 500 with `{ error }`. Bundled by
 * durable-object.test.ts and run under workerd via miniflare.
 */

import { DurableObject, type DurableObjectNamespaceLike, type DurableObjectStateLike } from "cloudflare:workers";
import { durableObjectSqlExecutor } from "../../relays/cloudflare/sql-executor.ts";
import { SqlStore } from "../../shared/store/sql.ts";
import type { Store } from "../../shared/store/store.ts";

interface Env {
  STORE: DurableObjectNamespaceLike;
}

type Call = (store: Store, args: unknown[]) => Promise<unknown>;

/** Each Store method, taking its arguments from the JSON array (validated by the suite itself). */
const calls: Record<string, Call> = {
  listKeys: (store) => store.listKeys(),
  addKeys: (store, [keys, at]) => store.addKeys(keys as string[], at as number),
  removeKeys: (store, [keys]) => store.removeKeys(keys as string[]),
  setKeyStatus: (store, [key, status, reason]) =>
    store.setKeyStatus(key as string, status as "active" | "disabled", reason as string | null),
  recordOutcomes: (store, [outcomes]) => store.recordOutcomes(outcomes as Parameters<Store["recordOutcomes"]>[0]),
  setCooldown: (store, [cooldown]) => store.setCooldown(cooldown as Parameters<Store["setCooldown"]>[0]),
  listCooldowns: (store, [now]) => store.listCooldowns(now as number),
  clearCooldowns: (store, args) => (args.length === 0 ? store.clearCooldowns() : store.clearCooldowns(args[0] as string)),
  snapshot: (store, [now]) => store.snapshot(now as number),
  getSetting: (store, [name]) => store.getSetting(name as string),
  setSetting: (store, [name, value]) => store.setSetting(name as string, value as string),
};

/** The Durable Object under test: exactly how relays/cloudflare builds its store. */
export class StoreHarness extends DurableObject<Env> {
  private readonly store: SqlStore;

  constructor(ctx: DurableObjectStateLike, env: Env) {
    super(ctx, env);
    this.store = new SqlStore(durableObjectSqlExecutor(ctx.storage.sql, ctx.storage));
  }

  async fetch(request: Request): Promise<Response> {
    const method = new URL(request.url).pathname.slice("/call/".length);
    const call = calls[method];
    if (!call) return Response.json({ error: `unknown method ${method}` }, { status: 404 });
    try {
      const args = (await request.json()) as unknown[];
      return Response.json({ result: await call(this.store, args) });
    } catch (error) {
      return Response.json({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }, { status: 500 });
    }
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "POST" || !url.pathname.startsWith("/call/")) {
      return new Response("not found", { status: 404 });
    }
    const stub = env.STORE.get(env.STORE.idFromName(url.searchParams.get("name") ?? "store"));
    return stub.fetch(request);
  },
};
