/**
 * The manifest's `operations` block (issue 9): defaults of the model policy, budgets and alert
 * settings, handed to the worker as MODEL_POLICY, BUDGETS and ALERT_* variables. The Store's
 * edited documents (admin API, console) win over these at runtime. The webhook URL usually holds
 * a token, so it is not a manifest field: set ALERT_WEBHOOK_URL as a secret.
 */
import { z } from "zod";
import { alertFormats } from "../shared/alerts/config.ts";
import { budgetPolicySchema } from "../shared/budget/budget-policy.ts";
import { modelPolicySchema } from "../shared/policy/model-policy.ts";

/** The block's schema. */
export const operationsSchema = z.strictObject({
  models: modelPolicySchema.optional().describe("Model policy: disabled models, aliases, per-model defaults, injected system instructions"),
  budgets: budgetPolicySchema.optional().describe("Per key × model budgets (rpm, rpd, tpm) over the free-tier table"),
  alerts: z
    .strictObject({
      format: z.enum(alertFormats).optional().describe("Webhook payload: json, slack, discord or telegram"),
      telegramChatId: z.string().optional().describe("Telegram chat_id"),
      repeatMs: z.number().int().min(0).optional().describe("The same alert at most once per this many ms"),
      maxPerMinute: z.number().int().min(1).optional().describe("Webhook calls per minute at most"),
      capacityBelow: z.number().min(0).max(1).optional().describe("Alert when fewer than this share of keys serve a model"),
      exhaustedSpike: z.number().int().min(1).optional().describe("Alert after this many exhausted answers in five minutes"),
    })
    .optional()
    .describe("Alert settings (the webhook URL is the ALERT_WEBHOOK_URL secret)"),
});
export type Operations = z.infer<typeof operationsSchema>;

/** MODEL_POLICY, BUDGETS and ALERT_* from the block (empty when absent). */
export function operationsVariables(operations: Operations | undefined): Record<string, string> {
  if (!operations) return {};
  const variables: Record<string, string> = {};
  if (operations.models) variables.MODEL_POLICY = JSON.stringify(operations.models);
  if (operations.budgets) variables.BUDGETS = JSON.stringify(operations.budgets);
  const alerts = operations.alerts ?? {};
  const names: [keyof typeof alerts, string][] = [
    ["format", "ALERT_FORMAT"],
    ["telegramChatId", "ALERT_TELEGRAM_CHAT_ID"],
    ["repeatMs", "ALERT_REPEAT_MS"],
    ["maxPerMinute", "ALERT_MAX_PER_MINUTE"],
    ["capacityBelow", "ALERT_CAPACITY_BELOW"],
    ["exhaustedSpike", "ALERT_EXHAUSTED_SPIKE"],
  ];
  for (const [field, name] of names) if (alerts[field] !== undefined) variables[name] = String(alerts[field]);
  return variables;
}
