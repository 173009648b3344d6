/**
 * Pool key routes: list (paginated, masked), bulk add, delete, enable/disable, check, reset and
 * reload. Every change is followed by `pool.invalidate()` so this isolate routes with it at
 * once; other isolates see it at their next refresh (POOL_REFRESH_MS).
 */
import type { Hono } from "hono";
import { z } from "zod";
import type { AppContext } from "../app.ts";
import { BadRequestError, GemrelayError } from "../errors.ts";
import { poolKeyId } from "../keys/identity.ts";
import { parseSubmittedKeys } from "../keys/validate.ts";
import { maskSecret } from "../secrets.ts";
import { checkBatchLimit, checkKeys, manualDisableReason } from "./check.ts";
import { adminBodyLimit, readJson, readQuery } from "./input.ts";
import type { AdminRoute } from "./routes.ts";
import { keyView, keysById, resolveKeys } from "./key-views.ts";

const listQuery = z.object({
  page: z.coerce.number({ message: "page must be a number" }).int().min(1, { message: "page must be 1 or more" }).default(1),
  pageSize: z.coerce.number({ message: "pageSize must be a number" }).int().min(1).max(500, { message: "pageSize must be at most 500" }).default(50),
  status: z.enum(["all", "active", "disabled", "cooling"], { message: "status must be all, active, disabled or cooling" }).default("all"),
});

const addBody = z.object({
  keys: z.union([z.array(z.string({ message: "must be a string" })).max(50_000), z.string()], { message: "keys must be an array of keys or one text with a key per line" }),
});

const deleteBody = z
  .object({
    keys: z.array(z.string({ message: "must be a string" }), { message: "keys must be an array" }).optional(),
    ids: z.array(z.string({ message: "must be a string" }), { message: "ids must be an array" }).optional(),
  })
  .refine((body) => (body.keys?.length ?? 0) + (body.ids?.length ?? 0) > 0, { message: "name the keys to delete in keys or ids", path: ["keys"] });

const checkQuery = z.object({
  offset: z.coerce.number({ message: "offset must be a number" }).int().min(0, { message: "offset must be 0 or more" }).default(0),
  limit: z.coerce.number({ message: "limit must be a number" }).int().min(1).max(checkBatchLimit, { message: `limit must be at most ${checkBatchLimit}` }).default(checkBatchLimit),
});

const checkBody = z.object({ ids: z.array(z.string({ message: "must be a string" }), { message: "ids must be an array" }).optional() });

/** Adds the pool key routes. */
export function mountKeyRoutes(app: Hono, context: AppContext, admin: AdminRoute): void {
  app.get(
    "/api/keys",
    admin(async (c) => {
      const query = readQuery(new URL(c.req.url), listQuery);
      const now = context.clock();
      const snapshot = await context.pool.refresh();
      // Key metadata (note, weight, group) beside each key; edited with PATCH /api/keys/metadata.
      const metadata = await context.policies.budgets.metadata.current();
      const views = (await Promise.all(snapshot.keys.map((key) => keyView(key, snapshot, now)))).map((view) => ({ ...view, metadata: metadata[view.id] ?? {} }));
      const matching = views.filter((view) =>
        query.status === "all" ? true : query.status === "cooling" ? view.cooldowns.length > 0 : view.status === query.status,
      );
      const start = (query.page - 1) * query.pageSize;
      return c.json({
        page: query.page,
        pageSize: query.pageSize,
        total: matching.length,
        pages: Math.max(1, Math.ceil(matching.length / query.pageSize)),
        totals: {
          keys: views.length,
          active: views.filter((view) => view.status === "active").length,
          disabled: views.filter((view) => view.status === "disabled").length,
          cooling: views.filter((view) => view.cooldowns.length > 0).length,
        },
        keys: matching.slice(start, start + query.pageSize),
      });
    }),
  );

  app.post(
    "/api/keys",
    admin(async (c) => {
      const parsed = parseSubmittedKeys((await readJson(c.req.raw, addBody, adminBodyLimit(context.config))).keys);
      if (parsed.keys.length === 0) {
        const named = parsed.rejected.slice(0, 5).map((entry) => `keys[${entry.index}] (${entry.key}): ${entry.reason}`);
        throw new BadRequestError(parsed.rejected.length > 0 ? `No valid key: ${named.join("; ")}` : "keys: no key given.");
      }
      const added = await context.store.addKeys(parsed.keys, context.clock());
      await context.pool.invalidate();
      return c.json({
        added: await Promise.all(added.map(async (key) => ({ id: await poolKeyId(key), key: maskSecret(key) }))),
        existing: parsed.keys.length - added.length,
        duplicates: parsed.duplicates,
        rejected: parsed.rejected,
      });
    }),
  );

  app.delete(
    "/api/keys",
    admin(async (c) => {
      const body = await readJson(c.req.raw, deleteBody, adminBodyLimit(context.config));
      const { found, missing } = await resolveKeys([...(body.keys ?? []), ...(body.ids ?? [])], await context.store.listKeys());
      const removed = await context.store.removeKeys(found.map((key) => key.key));
      await context.pool.invalidate();
      return c.json({ removed: await Promise.all(removed.map(async (key) => ({ id: await poolKeyId(key), key: maskSecret(key) }))), notFound: missing });
    }),
  );

  for (const action of ["enable", "disable"] as const) {
    app.post(
      `/api/keys/:id/${action}`,
      admin(async (c) => {
        const id = c.req.param("id") ?? "";
        const key = (await keysById(await context.store.listKeys())).get(id);
        if (!key) throw new GemrelayError(`No pool key with id ${id}.`, 404);
        await context.store.setKeyStatus(key.key, action === "enable" ? "active" : "disabled", action === "enable" ? null : manualDisableReason);
        if (action === "enable") await context.store.clearCooldowns(key.key);
        await context.pool.invalidate();
        return c.json({ id, status: action === "enable" ? "active" : "disabled" });
      }),
    );
  }

  app.post(
    "/api/keys/check",
    admin(async (c, background) => {
      const query = readQuery(new URL(c.req.url), checkQuery);
      const { ids } = await readJson(c.req.raw, checkBody, adminBodyLimit(context.config));
      const keys = await context.store.listKeys();
      const selected = ids === undefined ? keys : (await resolveKeys(ids, keys)).found;
      const batch = selected.slice(query.offset, query.offset + query.limit);
      const results = await checkKeys(batch, context, background);
      const next = query.offset + batch.length < selected.length ? query.offset + batch.length : null;
      return c.json({
        total: selected.length,
        offset: query.offset,
        next,
        results: await Promise.all(
          results.map(async (result) => ({ id: await poolKeyId(result.key.key), key: maskSecret(result.key.key), verdict: result.verdict, detail: result.detail })),
        ),
      });
    }),
  );

  app.post(
    "/admin/reset-keys",
    admin(async (c) => {
      const keys = await context.store.listKeys();
      const enabled = await context.store.setKeysStatus(
        keys.filter((key) => key.status === "disabled").map((key) => key.key),
        "active",
        null,
      );
      await context.store.clearCooldowns();
      await context.pool.invalidate();
      return c.json({ enabled: enabled.length, cooldownsCleared: true });
    }),
  );

  app.post(
    "/admin/reload-keys",
    admin(async (c) => {
      const parsed = parseSubmittedKeys(await context.admin.reloadKeys());
      const added = await context.store.addKeys(parsed.keys, context.clock());
      await context.pool.invalidate();
      return c.json({ read: parsed.keys.length, added: added.length, rejected: parsed.rejected, total: (await context.store.listKeys()).length });
    }),
  );
}
