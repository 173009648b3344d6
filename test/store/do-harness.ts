/**
 * Test-only worker: a Durable Object holding a SqlStore over `ctx.storage.sql`, reachable as
 * `POST /call/<method>?name=<object name>` with the method's arguments as a JSON array. The
 * answer is `{ result }` or, on failure (unknown method included), status 500 with `{ error }`. Bundled by
 * durable-object.test.ts and run under workerd via miniflare.
 */

import { DurableObject, type DurableObjectNamespaceLike, type DurableObjectStateLike } from "cloudflare:workers";
import { durableObjectSqlExecutor } from "../../relays/cloudflare/sql-executor.ts";
import { dispatchStoreCall } from "../../shared/store/remote.ts";
import { SqlStore } from "../../shared/store/sql.ts";

interface Env {
  STORE: DurableObjectNamespaceLike;
}

/** The Durable Object under test: exactly how relays/cloudflare builds its store. */
export class StoreHarness extends DurableObject<Env> {
  private readonly store: SqlStore;

  constructor(ctx: DurableObjectStateLike, env: Env) {
    super(ctx, env);
    this.store = new SqlStore(durableObjectSqlExecutor(ctx.storage.sql, ctx.storage));
  }

  async fetch(request: Request): Promise<Response> {
    const method = new URL(request.url).pathname.slice("/call/".length);
    try {
      const args = (await request.json()) as unknown[];
      // The same dispatcher the deployed PoolState uses for its RPC.
      return Response.json({ result: await dispatchStoreCall(this.store, method, args) });
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
