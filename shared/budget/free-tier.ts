/**
 * Gemini API free-tier rate limits per model, the default budget table. Source: Google's published
 * table at https://ai.google.dev/gemini-api/docs/rate-limits ("Free tier"), as of 2025-09. Google
 * changes these without notice; override them in the `policy.budgets` setting (PUT
 * /api/policy/budgets) or BUDGETS. Limits apply per Google Cloud project, not per key.
 */
import type { BudgetLimits } from "./budget-policy.ts";

/** Model id (or a prefix ending in `*`) → free-tier limits: requests per minute and day, input tokens per minute. */
export const freeTierLimits: Readonly<Record<string, BudgetLimits>> = {
  "gemini-2.5-pro": { rpm: 5, tpm: 250_000, rpd: 100 },
  "gemini-2.5-flash": { rpm: 10, tpm: 250_000, rpd: 250 },
  "gemini-2.5-flash-lite": { rpm: 15, tpm: 250_000, rpd: 1_000 },
  "gemini-2.0-flash": { rpm: 15, tpm: 1_000_000, rpd: 200 },
  "gemini-2.0-flash-lite": { rpm: 30, tpm: 1_000_000, rpd: 200 },
  "gemma-3*": { rpm: 30, tpm: 15_000, rpd: 14_400 },
  "gemini-embedding-001": { rpm: 100, tpm: 30_000, rpd: 1_000 },
};
