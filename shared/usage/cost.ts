/**
 * Estimated cost of usage rows from the price table: prompt tokens at the input price, except the
 * cached ones at the cached price (the input price when unset), answer tokens at the output price,
 * thought tokens at the thinking price (the output price when unset). Gemini's promptTokenCount
 * includes cachedContentTokenCount (https://ai.google.dev/api/generate-content#UsageMetadata), so
 * the cached tokens are taken out of the prompt tokens, not added to them.
 */
import type { UsageRow } from "../store/records.ts";
import type { ModelPrice, PriceTable } from "./prices.ts";

/** The price of `model`: exact name, then the longest matching `prefix*`; undefined when unknown. */
export function priceOf(table: PriceTable, model: string): ModelPrice | undefined {
  const exact = table[model];
  if (exact) return exact;
  let best: [number, ModelPrice] | undefined;
  for (const [pattern, entry] of Object.entries(table)) {
    if (pattern.endsWith("*") && model.startsWith(pattern.slice(0, -1)) && (best === undefined || pattern.length > best[0])) best = [pattern.length, entry];
  }
  return best?.[1];
}

/** US dollars for one row; 0 for a model without a price. */
export function rowCost(row: Pick<UsageRow, "model" | "promptTokens" | "cachedTokens" | "completionTokens" | "thoughtTokens">, table: PriceTable): number {
  const price = priceOf(table, row.model);
  if (price === undefined) return 0;
  const cached = Math.min(row.cachedTokens, row.promptTokens);
  const prompt = (row.promptTokens - cached) * price.input + cached * (price.cached ?? price.input);
  return (prompt + row.completionTokens * price.output + row.thoughtTokens * (price.thinking ?? price.output)) / 1_000_000;
}

/** Cost summed by `dimension`, rounded to micro-dollars. */
export function costBy(rows: readonly UsageRow[], dimension: (row: UsageRow) => string, table: PriceTable): Map<string, number> {
  const sums = new Map<string, number>();
  for (const row of rows) sums.set(dimension(row), (sums.get(dimension(row)) ?? 0) + rowCost(row, table));
  for (const [id, value] of sums) sums.set(id, Math.round(value * 1_000_000) / 1_000_000);
  return sums;
}
