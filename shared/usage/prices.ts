/**
 * Prices per model in US dollars per million tokens, the default of the editable price table
 * (setting `policy.prices`, PUT /api/policy/prices). Source: https://ai.google.dev/gemini-api/docs/pricing
 * (paid tier, standard, prompts up to 200k tokens), as of 2025-09. Thinking tokens are billed as
 * output on Gemini 2.5. Estimates only: Google's invoice is the truth.
 */
import { z } from "zod";

const price = z.number({ message: "must be a number (US dollars per million tokens)" }).min(0, { message: "must be 0 or more" });

/** Prices of one model, per million tokens. */
export const modelPriceSchema = z.strictObject({ input: price, output: price, thinking: price.optional(), cached: price.optional() });
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** Model (or `prefix*`) → prices. */
export const priceTableSchema = z.record(z.string().min(1), modelPriceSchema);
export type PriceTable = z.infer<typeof priceTableSchema>;

/** The default table. */
export const defaultPrices: PriceTable = {
  "gemini-2.5-pro": { input: 1.25, output: 10, thinking: 10, cached: 0.31 },
  "gemini-2.5-flash": { input: 0.3, output: 2.5, thinking: 2.5, cached: 0.075 },
  "gemini-2.5-flash-lite": { input: 0.1, output: 0.4, thinking: 0.4, cached: 0.025 },
  "gemini-2.0-flash": { input: 0.1, output: 0.4, cached: 0.025 },
  "gemini-2.0-flash-lite": { input: 0.075, output: 0.3 },
  "gemini-embedding-001": { input: 0.15, output: 0 },
};
