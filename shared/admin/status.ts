/** `GET /status`: pool keys (masked) with per-model cooldowns and counters, relays' circuit state. */
import type { AppContext } from "../app.ts";
import { carriesLive } from "../live/upstream.ts";
import { keyView } from "./key-views.ts";
import { keyEgressView } from "../routing/key-egress.ts";

/** Budgets: whether they are on, and remaining budget and pool capacity per shown model. */
async function budgetStatus(context: AppContext, activeKeys: string[]): Promise<Record<string, unknown>> {
  const budgets = context.policies.budgets;
  const policy = await budgets.policy.current();
  return { enabled: policy.enabled, models: await budgets.capacity(activeKeys, await budgets.shownModels()) };
}

/** The status document shown to admins; never contains a full key. */
export async function statusDocument(context: AppContext): Promise<Record<string, unknown>> {
  const now = context.clock();
  const snapshot = await context.pool.refresh();
  // `egress`: the key's home egress under EGRESS_AFFINITY and the one it leaves through now.
  const keys = await Promise.all(snapshot.keys.map(async (key) => ({ ...(await keyView(key, snapshot, now)), egress: await keyEgressView(context, key.key) })));
  return {
    now,
    keys,
    totals: {
      keys: keys.length,
      active: keys.filter((key) => key.status === "active").length,
      disabled: keys.filter((key) => key.status === "disabled").length,
      cooling: keys.filter((key) => key.cooldowns.length > 0).length,
    },
    // `live`: whether Live API sessions (WebSockets) can leave through it; Netlify and Vercel relays cannot.
    relays: context.relayHealth.describe(context.egresses.map((egress) => egress.id)).map((state, index) => ({ ...state, live: context.egresses[index] ? carriesLive(context.live, context.egresses[index]) : false })),
    budgets: await budgetStatus(context, snapshot.keys.filter((key) => key.status === "active").map((key) => key.key)),
    routing: { ...context.config.routing, affinity: context.config.affinity },
    passThrough: context.config.passThrough,
    // Requests that failed authentication leave no usage row or log entry, only this count (usage/recorder.ts).
    refusals: context.admin.usage.refusals(),
  };
}
