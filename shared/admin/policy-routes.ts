/**
 * Operations documents in the admin API: the model policy, the budgets (and their live state),
 * key metadata. GET reads, PUT replaces (validated, naming the field), DELETE goes back to the
 * default from the environment. Changes apply in this isolate at once and elsewhere at the next
 * refresh (POOL_REFRESH_MS).
 */
import type { Hono } from "hono";
import { z } from "zod";
import type { AppContext } from "../app.ts";
import { budgetPolicySchema, learnedLimitsSchema } from "../budget/budget-policy.ts";
import { keyMetadataSchema, keyMetadataTableSchema } from "../policy/key-metadata.ts";
import { modelPolicySchema } from "../policy/model-policy.ts";
import type { SettingDocument } from "../policy/setting.ts";
import { priceTableSchema } from "../usage/prices.ts";
import { GemrelayError } from "../errors.ts";
import { manualDisableReason } from "./check.ts";
import { adminBodyLimit, describeDocumentError, readJson } from "./input.ts";
import { keysById } from "./key-views.ts";
import type { AdminRoute } from "./routes.ts";

/** GET, PUT and DELETE for one document at `path`; PUT bodies up to `limit` bytes. */
function mountDocument<T>(app: Hono, path: string, document: SettingDocument<T>, schema: z.ZodType<T>, admin: AdminRoute, limit: number): void {
  app.get(
    path,
    admin(async (c) => {
      // A stored document that no longer validates is not in force: `problem` says why, instead of a silent default.
      const problem = await document.storedProblem();
      return c.json({
        policy: await document.current(),
        default: document.fallback,
        edited: (await document.storedText()) !== null,
        problem: problem === null ? null : describeDocumentError(problem),
      });
    }),
  );
  app.put(path, admin(async (c) => c.json({ policy: await document.set(await readJson(c.req.raw, schema, limit)) })));
  app.delete(path, admin(async (c) => c.json({ policy: await document.reset() })));
}

const metadataPatch = z.object({
  keys: z
    .array(
      keyMetadataSchema.extend({
        id: z.string({ message: "id is required" }).regex(/^[0-9a-f]{16}$/, { message: "id must be a pool key id" }),
        /** Not metadata: sets the key's status (enable clears its cooldowns), like POST /api/keys/:id/enable|disable. */
        enabled: z.boolean({ message: "enabled must be true or false" }).optional(),
      }),
    )
    .min(1, { message: "keys must name at least one key" }),
});

/** Applies the `enabled` flags of a bulk edit; throws a 404 naming unknown ids. */
async function applyEnabled(context: AppContext, entries: readonly { id: string; enabled?: boolean | undefined }[]): Promise<void> {
  const flagged = entries.filter((entry) => entry.enabled !== undefined);
  if (flagged.length === 0) return;
  const byId = await keysById(await context.store.listKeys());
  const missing = flagged.filter((entry) => !byId.has(entry.id)).map((entry) => entry.id);
  if (missing.length > 0) throw new GemrelayError(`No pool key with id ${missing.join(", ")}.`, 404);
  const keyOf = (entry: { id: string }) => byId.get(entry.id)?.key ?? "";
  const enable = flagged.filter((entry) => entry.enabled === true).map(keyOf);
  const disable = flagged.filter((entry) => entry.enabled === false).map(keyOf);
  if (enable.length > 0) {
    await context.store.setKeysStatus(enable, "active", null);
    for (const key of enable) await context.store.clearCooldowns(key);
  }
  if (disable.length > 0) await context.store.setKeysStatus(disable, "disabled", manualDisableReason);
  await context.pool.invalidate();
}

/** Adds the policy routes. */
export function mountPolicyRoutes(app: Hono, context: AppContext, admin: AdminRoute): void {
  const { models, budgets } = context.policies;
  mountDocument(app, "/api/policy/models", models, modelPolicySchema, admin, adminBodyLimit(context.config));
  mountDocument(app, "/api/policy/budgets", budgets.policy, budgetPolicySchema, admin, adminBodyLimit(context.config));
  mountDocument(app, "/api/policy/budgets/learned", budgets.learned, learnedLimitsSchema, admin, adminBodyLimit(context.config));
  mountDocument(app, "/api/keys/metadata", budgets.metadata, keyMetadataTableSchema, admin, adminBodyLimit(context.config));
  mountDocument(app, "/api/policy/prices", context.policies.prices, priceTableSchema, admin, adminBodyLimit(context.config));

  // Bulk edit: fields given replace those of each key; `null`-free, so omit a field to keep it.
  app.patch(
    "/api/keys/metadata",
    admin(async (c) => {
      const { keys } = await readJson(c.req.raw, metadataPatch, adminBodyLimit(context.config));
      await applyEnabled(context, keys);
      const edits = keys.map(({ id, enabled: _status, ...fields }) => ({ id, fields })).filter((edit) => Object.keys(edit.fields).length > 0);
      // Atomic read-modify-write: concurrent patches (other isolates included) all keep their edits.
      const policy = await budgets.metadata.update((stored) => {
        if (edits.length === 0) return stored;
        const table = { ...stored };
        for (const { id, fields } of edits) table[id] = { ...table[id], ...fields };
        return table;
      });
      return c.json({ policy });
    }),
  );

  app.get(
    "/api/budgets",
    admin(async (c) => {
      const snapshot = await context.pool.refresh();
      const active = snapshot.keys.filter((key) => key.status === "active").map((key) => key.key);
      const model = new URL(c.req.url).searchParams.get("model");
      const shown = model ? [model] : await budgets.shownModels();
      return c.json({ enabled: (await budgets.policy.current()).enabled, models: await budgets.capacity(active, shown) });
    }),
  );
}
