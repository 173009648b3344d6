/**
 * `GET /api/backup?keys=encrypted|masked|plain` and `POST /api/restore[?usage=skip]`. The
 * passphrase for encrypted keys travels in the `x-backup-passphrase` header, never in a URL.
 */
import type { Hono } from "hono";
import { z } from "zod";
import type { AppContext } from "../app.ts";
import { backupSchema, createBackup, keyModes, restoreBackup, type Backup } from "./backup.ts";
import { adminBodyLimit, readJson, readQuery } from "./input.ts";
import type { AdminRoute } from "./routes.ts";
import { policyDocuments } from "../policy/policies.ts";

const backupQuery = z.object({ keys: z.enum(keyModes, { message: "keys must be encrypted, masked or plain" }).default("encrypted") });
const restoreQuery = z.object({ usage: z.enum(["restore", "skip"], { message: "usage must be restore or skip" }).default("restore") });
const passphraseHeader = "x-backup-passphrase";

/** Adds the backup and restore routes. */
export function mountBackupRoutes(app: Hono, context: AppContext, admin: AdminRoute): void {
  app.get(
    "/api/backup",
    admin(async (c) => {
      const { keys } = readQuery(new URL(c.req.url), backupQuery);
      const backup = await createBackup(context, keys, c.req.header(passphraseHeader));
      c.header("cache-control", "no-store");
      c.header("content-disposition", `attachment; filename="gemrelay-backup-${new Date(backup.createdAt).toISOString().slice(0, 10)}.json"`);
      return c.json(backup);
    }),
  );

  app.post(
    "/api/restore",
    admin(async (c) => {
      const { usage } = readQuery(new URL(c.req.url), restoreQuery);
      // Skipped usage is not read either, so a backup whose usage rows are refused still restores the rest.
      const schema = usage === "restore" ? backupSchema : backupSchema.extend({ usage: z.unknown().transform((): Backup["usage"] => []) });
      const backup: Backup = await readJson(c.req.raw, schema, adminBodyLimit(context.config, "restore"));
      const report = await restoreBackup(context, backup, c.req.header(passphraseHeader), usage === "restore");
      // Every isolate copy may be stale now: re-read pool, access keys and documents.
      await context.pool.invalidate();
      await context.admin.accessKeys.refresh();
      for (const document of policyDocuments(context.policies)) document.forget();
      return c.json({ ok: true, ...report });
    }),
  );
}
