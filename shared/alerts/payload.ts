/**
 * Webhook bodies per format: generic JSON, Slack incoming webhooks (`text`), Discord webhooks
 * (`content`), Telegram Bot API sendMessage (`chat_id`, `text`).
 */
import type { AlertConfig } from "./config.ts";

/** Something operators should know about. */
export interface AlertEvent {
  /** `key-disabled`, `capacity-low`, `relay-down`, `region-refused`, `resume-exhausted-spike`. */
  kind: string;
  /** What it is about (a masked key, a relay id, a model); alerts are de-duplicated by kind and subject. */
  subject: string;
  message: string;
  at: number;
  details?: Record<string, string | number | boolean>;
}

/** The webhook body for `event` in the configured format. */
export function alertPayload(event: AlertEvent, config: Pick<AlertConfig, "format" | "telegramChatId">): unknown {
  const text = `[gemrelay] ${event.kind}: ${event.message}`;
  switch (config.format) {
    case "slack":
      return { text };
    case "discord":
      return { content: text };
    case "telegram":
      return { chat_id: config.telegramChatId ?? "", text };
    case "json":
      return { source: "gemrelay", ...event, time: new Date(event.at).toISOString() };
  }
}
