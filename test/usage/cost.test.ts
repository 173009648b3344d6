/** Cost estimates from the price table, against figures computed by hand. */
import { describe, expect, it } from "vitest";
import { costBy, priceOf, rowCost } from "../../shared/usage/cost.ts";
import { defaultPrices } from "../../shared/usage/prices.ts";
import { emptyUsage, type UsageRow } from "../../shared/store/records.ts";

const row = (model: string, promptTokens: number, completionTokens: number, thoughtTokens: number, day = "2026-01-01"): UsageRow => ({
  ...emptyUsage({ day, accessKey: "env", poolKey: "k", model }), requests: 1, promptTokens, completionTokens, thoughtTokens,
});

describe("cost", () => {
  it("prices prompt, answer and thought tokens per million", () => {
    // gemini-2.5-flash: 1200 × $0.30 + 800 × $2.50 + 500 × $2.50 = $360 + $2000 + $1250 per million = $0.00361
    expect(rowCost(row("gemini-2.5-flash", 1_200, 800, 500), defaultPrices)).toBeCloseTo(0.00361, 10);
    // gemini-2.5-pro: 10 000 × $1.25 + 2 000 × $10 + 3 000 × $10 = $12 500 + $20 000 + $30 000 per million = $0.0625
    expect(rowCost(row("gemini-2.5-pro", 10_000, 2_000, 3_000), defaultPrices)).toBeCloseTo(0.0625, 10);
    // thinking falls back to the output price: gemini-2.0-flash 1M in, 1M out = $0.10 + $0.40
    expect(rowCost(row("gemini-2.0-flash", 1_000_000, 0, 1_000_000), defaultPrices)).toBeCloseTo(0.5, 10);
    expect(rowCost(row("unknown-model", 1_000, 1_000, 0), defaultPrices)).toBe(0);
  });

  it("prices cached prompt tokens at the cached price, the rest of the prompt at the input price", () => {
    // promptTokens includes the cached ones (Gemini's promptTokenCount includes cachedContentTokenCount).
    // gemini-2.5-flash: (10 000 − 8 000) × $0.30 + 8 000 × $0.075 + 1 000 × $2.50 = $600 + $600 + $2 500 per million = $0.0037
    // (all 10 000 prompt tokens at the input price would be $0.0055)
    expect(rowCost({ ...row("gemini-2.5-flash", 10_000, 1_000, 0), cachedTokens: 8_000 }, defaultPrices)).toBeCloseTo(0.0037, 10);
    // gemini-2.5-pro: (200 000 − 50 000) × $1.25 + 50 000 × $0.31 + 4 000 × $10 = $187 500 + $15 500 + $40 000 per million = $0.243
    expect(rowCost({ ...row("gemini-2.5-pro", 200_000, 0, 4_000), cachedTokens: 50_000 }, defaultPrices)).toBeCloseTo(0.243, 10);
    // Without a cached price the cached tokens cost the input price: gemini-2.0-flash-lite 1M prompt × $0.075 = $0.075
    expect(rowCost({ ...row("gemini-2.0-flash-lite", 1_000_000, 0, 0), cachedTokens: 400_000 }, defaultPrices)).toBeCloseTo(0.075, 10);
  });

  it("matches prefix patterns and sums by a dimension", () => {
    const table = { "gemma-*": { input: 1, output: 2, thinking: 4 }, "gemma-3-27b": { input: 0.5, output: 1 } };
    expect(priceOf(table, "gemma-3-4b")).toEqual(table["gemma-*"]);
    expect(priceOf(table, "gemma-3-27b")).toEqual(table["gemma-3-27b"]);
    const rows = [row("gemma-3-4b", 1_000_000, 500_000, 250_000, "d1"), row("gemma-3-27b", 2_000_000, 0, 0, "d1"), row("gemma-3-4b", 0, 1_000_000, 0, "d2")];
    // d1: $1 + $1 + $1 (gemma-*) + $1 (27b) = $4; d2: $2
    expect(Object.fromEntries(costBy(rows, (entry) => entry.day, table))).toEqual({ d1: 4, d2: 2 });
  });
});
