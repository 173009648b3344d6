/**
 * Usage, request log and relay routes for the console: daily series and breakdowns per access
 * key, pool key and model; the newest requests; relay health with each relay's own /health.
 */
import type { Hono } from "hono";
import { z } from "zod";
import type { AppContext } from "../app.ts";
import { keysById } from "./key-views.ts";
import { readQuery } from "./input.ts";
import type { AdminRoute } from "./routes.ts";
import { maskSecret } from "../secrets.ts";
import { addUsage, emptyUsage, utcDay, type UsageRow } from "../store/records.ts";
import { relayId } from "../egress/egress.ts";
import { costBy } from "../usage/cost.ts";
import { carriesLive } from "../live/upstream.ts";

const usageQuery = z.object({
  days: z.coerce.number({ message: "days must be a number" }).int().min(1).max(3_650, { message: "days must be at most 3650" }).default(14),
});

const requestsQuery = z.object({
  limit: z.coerce.number({ message: "limit must be a number" }).int().min(1).max(500, { message: "limit must be at most 500" }).default(50),
  before: z.coerce.number({ message: "before must be a request id" }).int().min(1).optional(),
});

/** Counters without dimensions. */
type Totals = Omit<UsageRow, "day" | "accessKey" | "poolKey" | "model">;

/** An empty accumulator (its dimensions are not used). */
function zero(): UsageRow {
  return emptyUsage({ day: "", accessKey: "", poolKey: "", model: "" });
}

/** The counters of a row. */
function countersOf(row: UsageRow): Totals {
  const { requests, errors, promptTokens, cachedTokens, completionTokens, thoughtTokens, resumes } = row;
  return { requests, errors, promptTokens, cachedTokens, completionTokens, thoughtTokens, resumes };
}

/** Sums `rows` by `dimension`, largest request count first. */
function breakdown(rows: readonly UsageRow[], dimension: (row: UsageRow) => string): (Totals & { id: string })[] {
  const sums = new Map<string, UsageRow>();
  for (const row of rows) {
    const id = dimension(row);
    sums.set(id, addUsage(sums.get(id) ?? zero(), row));
  }
  return [...sums.entries()].map(([id, sum]) => ({ id, ...countersOf(sum) })).sort((a, b) => b.requests - a.requests);
}

/** Names for the access key column: the key's name, or what the special ids stand for. */
async function accessKeyNames(context: AppContext): Promise<Map<string, string>> {
  const names = new Map<string, string>([
    ["env", "AUTH_KEY"],
    ["pass-through", "pass-through"],
    ["", "unauthenticated"],
  ]);
  for (const record of await context.store.listAccessKeys()) names.set(record.id, record.name);
  return names;
}

/** Adds the usage, request log and relay routes. */
export function mountUsageRoutes(app: Hono, context: AppContext, admin: AdminRoute): void {
  app.get(
    "/api/usage",
    admin(async (c) => {
      const { days } = readQuery(new URL(c.req.url), usageQuery);
      const now = context.clock();
      const dayList = Array.from({ length: days }, (_, index) => utcDay(now - (days - 1 - index) * 86_400_000));
      const rows = await context.store.listUsage(dayList[0] ?? utcDay(now), utcDay(now));
      const names = await accessKeyNames(context);
      const poolKeys = new Map([...(await keysById(await context.store.listKeys()))].map(([id, key]) => [id, maskSecret(key.key)]));
      const byDay = new Map(breakdown(rows, (row) => row.day).map(({ id, ...totals }) => [id, totals]));
      // Estimated cost (US dollars) from the editable price table, per row so each model has its price.
      const prices = await context.policies.prices.current();
      const costs = (dimension: (row: UsageRow) => string) => costBy(rows, dimension, prices);
      const dayCost = costs((row) => row.day);
      const withCost = <T extends { id: string }>(entries: T[], dimension: (row: UsageRow) => string) => {
        const cost = costs(dimension);
        return entries.map((entry) => ({ ...entry, estimatedCostUsd: cost.get(entry.id) ?? 0 }));
      };
      return c.json({
        from: dayList[0],
        to: dayList.at(-1),
        estimatedCostUsd: [...dayCost.values()].reduce((sum, value) => Math.round((sum + value) * 1_000_000) / 1_000_000, 0),
        days: dayList.map((day) => ({ day, ...(byDay.get(day) ?? countersOf(zero())), estimatedCostUsd: dayCost.get(day) ?? 0 })),
        byAccessKey: withCost(breakdown(rows, (row) => row.accessKey), (row) => row.accessKey).map((entry) => ({ ...entry, name: names.get(entry.id) ?? entry.id })),
        byModel: withCost(breakdown(rows, (row) => row.model), (row) => row.model),
        byPoolKey: withCost(breakdown(rows, (row) => row.poolKey), (row) => row.poolKey).map((entry) => ({ ...entry, key: entry.id === "" ? "none" : (poolKeys.get(entry.id) ?? `removed ${entry.id}`) })),
      });
    }),
  );

  app.get(
    "/api/requests",
    admin(async (c) => {
      const query = readQuery(new URL(c.req.url), requestsQuery);
      const entries = await context.store.listRequests({ limit: query.limit, before: query.before ?? null });
      const names = await accessKeyNames(context);
      return c.json({
        requests: entries.map((entry) => ({ ...entry, accessKeyName: names.get(entry.accessKey) ?? entry.accessKey })),
        next: entries.length === query.limit ? (entries.at(-1)?.id ?? null) : null,
      });
    }),
  );

  app.get(
    "/api/relays",
    admin(async (c) => {
      const states = new Map(context.relayHealth.describe(context.egresses.map((egress) => egress.id)).map((state) => [state.id, state]));
      const relays = await Promise.all(
        context.egresses.map(async (egress) => {
          const target = context.config.relays.find((relay) => relayId(relay.url) === egress.id);
          return { ...states.get(egress.id), id: egress.id, weight: egress.weight, live: carriesLive(context.live, egress), health: target ? await relayHealth(target.url) : { ok: true, platform: context.admin.platform, region: "in-process", latencyMs: 0 } };
        }),
      );
      return c.json({ relays });
    }),
  );
}

/** A relay's own `GET /health` ({ok, platform, region}) and how long it took. */
async function relayHealth(url: string): Promise<Record<string, unknown>> {
  const started = Date.now();
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
    const body: unknown = await response.json().catch(() => ({}));
    const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
    return { ok: response.ok, platform: fields.platform ?? null, region: fields.region ?? null, latencyMs: Date.now() - started };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.name : "error", latencyMs: Date.now() - started };
  }
}
