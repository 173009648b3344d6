/**
 * Access key routes: list, create (the secret is in this one answer only) and revoke. Changes
 * refresh this isolate's copy at once; other isolates follow within ACCESS_KEY_REFRESH_MS.
 */
import type { Hono } from "hono";
import type { AppContext } from "../app.ts";
import { createAccessKey, describeAccessKey, newAccessKeySchema } from "../access/access-keys.ts";
import { GemrelayError } from "../errors.ts";
import { adminBodyLimit, readJson } from "./input.ts";
import type { AdminRoute } from "./routes.ts";

/** Adds the access key routes. */
export function mountAccessKeyRoutes(app: Hono, context: AppContext, admin: AdminRoute): void {
  app.get(
    "/api/access-keys",
    admin(async (c) => {
      const now = context.clock();
      return c.json({ accessKeys: (await context.store.listAccessKeys()).map((record) => describeAccessKey(record, now)) });
    }),
  );

  app.post(
    "/api/access-keys",
    admin(async (c) => {
      const input = await readJson(c.req.raw, newAccessKeySchema, adminBodyLimit(context.config));
      const now = context.clock();
      const { record, secret } = await createAccessKey(input, now);
      if (!(await context.store.addAccessKey(record))) throw new GemrelayError("Could not store the new access key; try again.", 409);
      await context.admin.accessKeys.refresh();
      c.header("cache-control", "no-store");
      return c.json({ accessKey: describeAccessKey(record, now), secret }, 201);
    }),
  );

  app.post(
    "/api/access-keys/:id/revoke",
    admin(async (c) => {
      const id = c.req.param("id") ?? "";
      const now = context.clock();
      if (!(await context.store.revokeAccessKey(id, now))) {
        const exists = (await context.store.listAccessKeys()).some((record) => record.id === id);
        if (!exists) throw new GemrelayError(`No access key with id ${id}.`, 404);
      }
      await context.admin.accessKeys.refresh();
      return c.json({ id, state: "revoked" });
    }),
  );
}
