/** Alert settings from the environment (ALERT_*); no webhook URL means alerts only go to the event feed. */
import { z } from "zod";
import { presentVariables } from "../config/variables.ts";

/** Payload shapes a webhook can take. */
export const alertFormats = ["json", "slack", "discord", "telegram"] as const;
export type AlertFormat = (typeof alertFormats)[number];

const alertEnvironmentSchema = z.object({
  ALERT_WEBHOOK_URL: z.url({ message: "ALERT_WEBHOOK_URL must be an http(s) URL" }).optional(),
  ALERT_FORMAT: z.enum(alertFormats, { message: "ALERT_FORMAT must be json, slack, discord or telegram" }).default("json"),
  /** Telegram's `chat_id` (the bot token is part of the webhook URL). */
  ALERT_TELEGRAM_CHAT_ID: z.string().optional(),
  /** The same alert (kind and subject) is sent at most once per interval. */
  ALERT_REPEAT_MS: z.coerce.number({ message: "ALERT_REPEAT_MS must be a number" }).int().min(0).default(600_000),
  /** At most this many webhook calls per minute, whatever their kind. */
  ALERT_MAX_PER_MINUTE: z.coerce.number({ message: "ALERT_MAX_PER_MINUTE must be a number" }).int().min(1).default(10),
  /** Alert when fewer than this share of a model's keys can serve it. */
  ALERT_CAPACITY_BELOW: z.coerce.number({ message: "ALERT_CAPACITY_BELOW must be a number" }).min(0).max(1).default(0.25),
  /** Alert when this many answers end exhausted (resume gave up) within five minutes. */
  ALERT_EXHAUSTED_SPIKE: z.coerce.number({ message: "ALERT_EXHAUSTED_SPIKE must be a number" }).int().min(1).default(5),
});

/** Alert settings. */
export interface AlertConfig {
  webhookUrl: string | undefined;
  format: AlertFormat;
  telegramChatId: string | undefined;
  repeatMs: number;
  maxPerMinute: number;
  capacityBelow: number;
  exhaustedSpike: number;
}

/** Reads ALERT_*; throws a zod error naming the variable. */
export function readAlertConfig(environment: Record<string, unknown>): AlertConfig {
  const env = alertEnvironmentSchema.parse(presentVariables(environment, alertEnvironmentSchema));
  return {
    webhookUrl: env.ALERT_WEBHOOK_URL,
    format: env.ALERT_FORMAT,
    telegramChatId: env.ALERT_TELEGRAM_CHAT_ID,
    repeatMs: env.ALERT_REPEAT_MS,
    maxPerMinute: env.ALERT_MAX_PER_MINUTE,
    capacityBelow: env.ALERT_CAPACITY_BELOW,
    exhaustedSpike: env.ALERT_EXHAUSTED_SPIKE,
  };
}
