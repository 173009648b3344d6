/**
 * The runtime-editable operations documents of an app (model policy, budgets, key metadata), each
 * a Store setting with a default from the environment, plus the budget counter.
 */
import { budgetPolicySchema, learnedLimitsSchema, type BudgetPolicy, type LearnedLimits } from "../budget/budget-policy.ts";
import { Budgets } from "../budget/budgets.ts";
import type { BudgetCounter } from "../budget/counter.ts";
import type { Store } from "../store/store.ts";
import type { PolicyConfig } from "./config.ts";
import { keyMetadataTableSchema, type KeyMetadataTable } from "./key-metadata.ts";
import { modelPolicySchema, type ModelPolicy } from "./model-policy.ts";
import { SettingDocument } from "./setting.ts";
import { defaultPrices, priceTableSchema, type PriceTable } from "../usage/prices.ts";

/** Setting names, also the sections of a backup. */
export const policySettingNames = {
  models: "policy.models",
  budgets: "policy.budgets",
  learnedLimits: "budgets.learned",
  keyMetadata: "keys.metadata",
  prices: "policy.prices",
} as const;

/** The documents and services built once per app. */
export interface Policies {
  models: SettingDocument<ModelPolicy>;
  budgets: Budgets;
  /** Price table for cost estimates. */
  prices: SettingDocument<PriceTable>;
}

/** Builds the documents over `store`; copies refresh every `refreshMs`. */
export function createPolicies(
  store: Store,
  config: PolicyConfig,
  { log, budgetCounter, ...options }: { refreshMs: number; clock: () => number; log?: (entry: Record<string, unknown>) => void; budgetCounter?: BudgetCounter | undefined },
): Policies {
  const models = new SettingDocument<ModelPolicy>(store, { name: policySettingNames.models, schema: modelPolicySchema, fallback: config.models, ...options });
  const budgetPolicy = new SettingDocument<BudgetPolicy>(store, { name: policySettingNames.budgets, schema: budgetPolicySchema, fallback: config.budgets, ...options });
  const learned = new SettingDocument<LearnedLimits>(store, { name: policySettingNames.learnedLimits, schema: learnedLimitsSchema, fallback: {}, ...options });
  const keyMetadata = new SettingDocument<KeyMetadataTable>(store, { name: policySettingNames.keyMetadata, schema: keyMetadataTableSchema, fallback: {}, ...options });
  const prices = new SettingDocument<PriceTable>(store, { name: policySettingNames.prices, schema: priceTableSchema, fallback: defaultPrices, ...options });
  return { models, budgets: new Budgets(budgetPolicy, keyMetadata, learned, options.clock, budgetCounter, log), prices };
}

/** Every document of `policies`, e.g. to forget them all after a restore or a change made elsewhere. */
export function policyDocuments(policies: Policies): SettingDocument<unknown>[] {
  return [policies.models, policies.budgets.policy, policies.budgets.learned, policies.budgets.metadata, policies.prices];
}
