/** Cost estimates from the price table, against figures computed by hand. */
import { describe, expect, it } from "vitest";
import { costBy, priceOf, rowCost } from "../../shared/usage/cost.ts";
import { defaultPrices } from "../../shared/usage/prices.ts";
import type { UsageRow } from "../../shared/store/records.ts";

const row = (model: string, promptTokens: number, completionTokens: number, thoughtTokens: number, day = "2026-01-01"): UsageRow => ({
  day, accessKey: "env", poolKey: "k", model, requests: 1, errors: 0, promptTokens, completionTokens, thoughtTokens, resumes: 0,
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

  it("matches prefix patterns and sums by a dimension", () => {
    const table = { "gemma-*": { input: 1, output: 2, thinking: 4 }, "gemma-3-27b": { input: 0.5, output: 1 } };
    expect(priceOf(table, "gemma-3-4b")).toEqual(table["gemma-*"]);
    expect(priceOf(table, "gemma-3-27b")).toEqual(table["gemma-3-27b"]);
    const rows = [row("gemma-3-4b", 1_000_000, 500_000, 250_000, "d1"), row("gemma-3-27b", 2_000_000, 0, 0, "d1"), row("gemma-3-4b", 0, 1_000_000, 0, "d2")];
    // d1: $1 + $1 + $1 (gemma-*) + $1 (27b) = $4; d2: $2
    expect(Object.fromEntries(costBy(rows, (entry) => entry.day, table))).toEqual({ d1: 4, d2: 2 });
  });
});
