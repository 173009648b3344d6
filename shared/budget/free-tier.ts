/**
 * Gemini API free-tier rate limits per model: the default budget table, a starting guess only.
 * Google no longer publishes one table: since late 2025 https://ai.google.dev/gemini-api/docs/rate-limits
 * sends each project to its own limits in AI Studio, and on 2025-12-06/07 it cut the free tier
 * (gemini-2.5-flash and -flash-lite to 20 requests per day, widely reported; the values below
 * follow those reports and the 2025-09 table for the rest). Limits apply per Google Cloud project,
 * not per key. gemrelay corrects this table by itself: a 429's QuotaFailure names the project's
 * real limit (`quotaId` + `quotaValue`), which is learned per key group and model
 * (budgets.ts `learn`). Explicit limits in `policy.budgets` (PUT /api/policy/budgets, BUDGETS)
 * override both.
 */
import type { BudgetLimits } from "./budget-policy.ts";

/** Model id (or a prefix ending in `*`) → free-tier limits: requests per minute and day, input tokens per minute. */
export const freeTierLimits: Readonly<Record<string, BudgetLimits>> = {
  "gemini-2.5-pro": { rpm: 5, tpm: 250_000, rpd: 100 },
  "gemini-2.5-flash": { rpm: 10, tpm: 250_000, rpd: 20 },
  "gemini-2.5-flash-lite": { rpm: 15, tpm: 250_000, rpd: 20 },
  "gemini-2.0-flash": { rpm: 15, tpm: 1_000_000, rpd: 200 },
  "gemini-2.0-flash-lite": { rpm: 30, tpm: 1_000_000, rpd: 200 },
  "gemma-3*": { rpm: 30, tpm: 15_000, rpd: 14_400 },
  "gemini-embedding-001": { rpm: 100, tpm: 30_000, rpd: 1_000 },
};
