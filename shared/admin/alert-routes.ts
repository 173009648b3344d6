/** `GET /api/alerts`: the event feed of this isolate (newest first) and the alert settings without the webhook URL. */
import type { Hono } from "hono";
import type { AppContext } from "../app.ts";
import type { AdminRoute } from "./routes.ts";

/** Adds the alert feed route. */
export function mountAlertRoutes(app: Hono, context: AppContext, admin: AdminRoute): void {
  app.get(
    "/api/alerts",
    admin(async (c) => {
      const { webhookUrl, telegramChatId: _chat, ...settings } = context.alerts.config;
      // The URL often embeds a token (Slack, Discord, Telegram): say only whether there is one.
      return c.json({ webhook: webhookUrl !== undefined, ...settings, events: context.alerts.events() });
    }),
  );
}
