/** Defaults of the runtime-editable policies from the environment (MODEL_POLICY, BUDGETS, ALERT_*). */
import { z } from "zod";
import { budgetPolicySchema, disabledBudgets, type BudgetPolicy } from "../budget/budget-policy.ts";
import { presentVariables } from "../config/variables.ts";
import { emptyModelPolicy, modelPolicySchema, type ModelPolicy } from "./model-policy.ts";

const policyEnvironmentSchema = z.object({
  MODEL_POLICY: z.string().optional(),
  BUDGETS: z.string().optional(),
});

/** Defaults used while the Store holds no edited document. */
export interface PolicyConfig {
  models: ModelPolicy;
  budgets: BudgetPolicy;
}

function jsonVariable<T>(name: string, text: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${name} is not valid JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${name}.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/** Reads MODEL_POLICY (JSON) and BUDGETS (`off`, `free-tier`, or JSON); throws naming the variable. */
export function readPolicyConfig(environment: Record<string, unknown>): PolicyConfig {
  const env = policyEnvironmentSchema.parse(presentVariables(environment, policyEnvironmentSchema));
  let budgets = disabledBudgets;
  if (env.BUDGETS === "free-tier") budgets = { ...disabledBudgets, enabled: true };
  else if (env.BUDGETS !== undefined && env.BUDGETS !== "off") budgets = jsonVariable("BUDGETS", env.BUDGETS, budgetPolicySchema);
  return {
    models: env.MODEL_POLICY === undefined ? emptyModelPolicy : jsonVariable("MODEL_POLICY", env.MODEL_POLICY, modelPolicySchema),
    budgets,
  };
}
