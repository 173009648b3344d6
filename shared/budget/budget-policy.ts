/**
 * Per key × model budgets: requests per minute and per day (and input tokens per minute, shown but
 * not enforced). Keys created in the same Google project share one quota, so budgets are counted
 * per key group (key metadata `group`; a key without one is its own group). Stored in the
 * `policy.budgets` setting; default from BUDGETS.
 */
import { z } from "zod";
import { freeTierLimits } from "./free-tier.ts";

const count = z.number({ message: "must be a number" }).int({ message: "must be a whole number" }).min(0, { message: "must be 0 or more" });

/** Limits for one model; an absent field is no limit. */
export const budgetLimitsSchema = z.strictObject({ rpm: count.optional(), rpd: count.optional(), tpm: count.optional() });
export type BudgetLimits = z.infer<typeof budgetLimitsSchema>;

const perModel = z.record(z.string().min(1), budgetLimitsSchema);

/** The budgets document. */
export const budgetPolicySchema = z.strictObject({
  /** Off: the scheduler ignores budgets (Gemini's own 429s still cool keys down). */
  enabled: z.boolean({ message: "enabled must be true or false" }).default(false),
  /** Start from the free-tier table (free-tier.ts) under `limits`. */
  freeTier: z.boolean({ message: "freeTier must be true or false" }).default(true),
  /** Model (or `prefix*`, or `*`) → limits, over the free-tier table. */
  limits: perModel.default({}),
  /** Group label → model → limits, over `limits`. */
  groups: z.record(z.string().min(1), perModel).default({}),
  /** Pool key id → model → limits, over everything else. */
  keys: z.record(z.string().min(1), perModel).default({}),
});
export type BudgetPolicy = z.infer<typeof budgetPolicySchema>;

/**
 * Limits Gemini itself named in its 429s (QuotaFailure `quotaValue`), per unit (key or group) and
 * model: they replace the free-tier table's guess for that unit; explicit limits still win.
 */
export const learnedLimitsSchema = z.record(z.string().min(1), perModel);
export type LearnedLimits = z.infer<typeof learnedLimitsSchema>;

/** Budgets off. */
export const disabledBudgets: BudgetPolicy = { enabled: false, freeTier: true, limits: {}, groups: {}, keys: {} };

/** The entry of `table` for `model`: exact name, then the longest `prefix*`, then `*`. */
function lookup(table: Readonly<Record<string, BudgetLimits>> | undefined, model: string): BudgetLimits | undefined {
  if (table === undefined) return undefined;
  const exact = table[model];
  if (exact) return exact;
  let best: { length: number; limits: BudgetLimits } | undefined;
  for (const [pattern, limits] of Object.entries(table)) {
    if (!pattern.endsWith("*")) continue;
    const prefix = pattern.slice(0, -1);
    if (model.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = { length: prefix.length, limits };
  }
  return best?.limits;
}

/** The limits that apply to (key, group, model): key over group over table over learned over free tier, field by field. */
export function limitsFor(policy: BudgetPolicy, keyId: string, group: string | undefined, model: string, learned?: BudgetLimits): BudgetLimits {
  return {
    ...(policy.freeTier ? lookup(freeTierLimits, model) : undefined),
    ...learned,
    ...lookup(policy.limits, model),
    ...(group !== undefined ? lookup(policy.groups[group], model) : undefined),
    ...lookup(policy.keys[keyId], model),
  };
}
