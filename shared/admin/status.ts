/** `GET /status`: pool keys (masked) with per-model cooldowns and counters, relays' circuit state. */
import type { AppContext } from "../app.ts";
import { maskSecret } from "../secrets.ts";

/** The status document shown to admins; never contains a full key. */
export async function statusDocument(context: AppContext): Promise<Record<string, unknown>> {
  const now = context.clock();
  const snapshot = await context.pool.refresh();
  const keys = snapshot.keys.map((key) => ({
    key: maskSecret(key.key),
    status: key.status,
    statusReason: key.statusReason,
    requests: key.requests,
    failures: key.failures,
    lastUsedAt: key.lastUsedAt,
    lastError: key.lastError,
    cooldowns: snapshot.cooldowns
      .filter((cooldown) => cooldown.key === key.key && cooldown.until > now)
      .map((cooldown) => ({ model: cooldown.model, until: cooldown.until, seconds: Math.ceil((cooldown.until - now) / 1_000), reason: cooldown.reason })),
  }));
  return {
    now,
    keys,
    totals: {
      keys: keys.length,
      active: keys.filter((key) => key.status === "active").length,
      disabled: keys.filter((key) => key.status === "disabled").length,
      cooling: keys.filter((key) => key.cooldowns.length > 0).length,
    },
    relays: context.relayHealth.describe(context.egresses.map((egress) => egress.id)),
    routing: context.config.routing,
    passThrough: context.config.passThrough,
  };
}
