/**
 * Mounts the admin API and the console on the app. Every route but login, logout, the session
 * probe and the console's static files requires an admin credential (auth.ts).
 */
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { AppContext } from "../app.ts";
import { BadRequestError } from "../errors.ts";
import type { Background } from "../routing/pool-view.ts";
import { mountAccessKeyRoutes } from "./access-routes.ts";
import { consoleHeader } from "./auth.ts";
import { mountConsole } from "./console-routes.ts";
import { adminBodyLimit, readJson } from "./input.ts";
import { mountKeyRoutes } from "./key-routes.ts";
import { mountPolicyRoutes } from "./policy-routes.ts";
import { mountAlertRoutes } from "./alert-routes.ts";
import { mountBackupRoutes } from "./backup-routes.ts";
import { readCookie, sessionCookie } from "./session.ts";
import { mountUsageRoutes } from "./usage-routes.ts";

/** Wraps a handler so it runs only for admins, with the platform's background. */
export type AdminRoute = (handler: (c: Context, background: Background) => Promise<Response>) => (c: Context) => Promise<Response>;

const loginSchema = z.object({ adminKey: z.string({ message: "adminKey is required" }).min(1, { message: "adminKey must not be empty" }) });

/** Adds every admin route to `app`; `backgroundOf` gives the platform's way to run work after the response. */
export function mountAdmin(app: Hono, context: AppContext, backgroundOf: (c: Context) => Background): void {
  const gate = context.admin.gate;

  app.post("/api/login", async (c) => {
    // An address waiting out its back-off is refused before its body is read.
    gate.admit(c);
    const { adminKey } = await readJson(c.req.raw, loginSchema, adminBodyLimit(context.config, "login"));
    const cookie = await gate.login(c, adminKey.trim());
    c.header("set-cookie", cookie);
    c.header("cache-control", "no-store");
    return c.json({ ok: true });
  });

  app.post("/api/logout", async (c) => {
    // The console header keeps other sites from logging people out; only a valid session revokes.
    if (c.req.header(consoleHeader) === undefined) throw new BadRequestError(`Logout needs the ${consoleHeader} header.`);
    c.header("set-cookie", await gate.logout(c));
    return c.json({ ok: true });
  });

  app.get("/api/session", async (c) => {
    if (readCookie(c.req.header("cookie") ?? null, sessionCookie) === null) return c.json({ authenticated: false });
    try {
      return c.json({ authenticated: true, method: await gate.require(c) });
    } catch {
      return c.json({ authenticated: false });
    }
  });

  const admin: AdminRoute = (handler) => async (c) => {
    await gate.require(c);
    return handler(c, backgroundOf(c));
  };
  mountKeyRoutes(app, context, admin);
  mountAccessKeyRoutes(app, context, admin);
  mountUsageRoutes(app, context, admin);
  mountPolicyRoutes(app, context, admin);
  mountAlertRoutes(app, context, admin);
  mountBackupRoutes(app, context, admin);
  mountConsole(app);
}
