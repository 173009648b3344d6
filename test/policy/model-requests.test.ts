/** The model policy applied to generate requests, without the network. */
import { describe, expect, it } from "vitest";
import { modelPolicySchema } from "../../shared/policy/model-policy.ts";
import { applyModelPolicy } from "../../shared/policy/model-requests.ts";
import { limitsFor, budgetPolicySchema } from "../../shared/budget/budget-policy.ts";
import { BudgetLedger } from "../../shared/budget/ledger.ts";
import { nextPacificMidnight } from "../../shared/gemini/classify.ts";

const policy = modelPolicySchema.parse({
  disabled: ["old-model"],
  aliases: { fast: "gemini-2.5-flash", legacy: "old-model" },
  defaults: { "*": { includeThoughts: false }, "gemini-2.5-flash": { thinking: "off" }, "gemini-3-pro-preview": { thinkingLevel: "low" } },
  instructions: [{ text: "A", accessKey: "team" }, { text: "Z", position: "append", model: "fast" }],
});
const contents = [{ role: "user", parts: [{ text: "hi" }] }];

describe("model policy", () => {
  it("resolves aliases and fills only unset fields", () => {
    const applied = applyModelPolicy(policy, { model: "fast", body: { contents }, accessKey: "team" });
    expect(applied.model).toBe("gemini-2.5-flash");
    expect(applied.body.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 0, includeThoughts: false } });
    expect(applied.body.systemInstruction?.parts).toEqual([{ text: "A" }, { text: "Z" }]);
    const level = applyModelPolicy(policy, { model: "gemini-3-pro-preview", body: { contents, generationConfig: { thinkingConfig: { includeThoughts: true } } }, accessKey: "other" });
    expect(level.body.generationConfig).toEqual({ thinkingConfig: { thinkingLevel: "low", includeThoughts: true } });
    expect(level.body.systemInstruction).toBeUndefined();
  });

  it("refuses disabled models by their name or an alias to them", () => {
    expect(() => applyModelPolicy(policy, { model: "old-model", body: { contents }, accessKey: "" })).toThrow(/disabled/);
    expect(() => applyModelPolicy(policy, { model: "models/legacy", body: { contents }, accessKey: "" })).toThrow(/disabled/);
  });
});

describe("budgets", () => {
  it("layers key over group over table over the free tier", () => {
    const budgets = budgetPolicySchema.parse({ enabled: true, limits: { "gemini-2.5-flash": { rpm: 4 } }, groups: { p: { "*": { rpd: 7 } } }, keys: { k1: { "gemini-2.5-flash": { rpm: 1 } } } });
    expect(limitsFor(budgets, "k2", undefined, "gemini-2.5-flash")).toEqual({ rpm: 4, tpm: 250_000, rpd: 20 });
    // Limits Gemini named in a 429 replace the free-tier guess, under every explicit layer.
    expect(limitsFor(budgets, "k2", undefined, "gemini-2.5-flash", { rpm: 2, rpd: 1_500 })).toEqual({ rpm: 4, tpm: 250_000, rpd: 1_500 });
    expect(limitsFor(budgets, "k2", "p", "gemini-2.5-flash", { rpd: 1_500 })).toMatchObject({ rpd: 7 });
    expect(limitsFor(budgets, "k2", "p", "gemini-2.5-flash")).toEqual({ rpm: 4, tpm: 250_000, rpd: 7 });
    expect(limitsFor(budgets, "k1", "p", "gemini-2.5-flash")).toEqual({ rpm: 1, tpm: 250_000, rpd: 7 });
    expect(limitsFor(budgets, "k1", undefined, "gemma-3-27b-it")).toMatchObject({ rpm: 30 });
  });

  it("frees a minute slot 60 s after it was spent and a day at Pacific midnight", () => {
    const ledger = new BudgetLedger();
    const start = Date.UTC(2026, 0, 15, 12, 0, 0);
    ledger.spend("u", "m", start);
    ledger.spend("u", "m", start + 10_000);
    expect(ledger.nextSlot("u", "m", { rpm: 2 }, start + 20_000)).toBe(start + 60_000);
    expect(ledger.nextSlot("u", "m", { rpm: 2 }, start + 60_000)).toBe(start + 60_000);
    expect(ledger.nextSlot("u", "m", { rpd: 2 }, start + 70_000)).toBe(nextPacificMidnight(start));
    expect(ledger.nextSlot("u", "m", { rpd: 2 }, nextPacificMidnight(start))).toBe(nextPacificMidnight(start));
  });
});

describe("input tokens per minute", () => {
  it("holds a unit back until enough of the minute's tokens aged out", () => {
    const ledger = new BudgetLedger();
    const start = Date.UTC(2026, 0, 15, 12, 0, 0);
    ledger.spendTokens("u", "m", 600, start);
    ledger.spendTokens("u", "m", 500, start + 5_000);
    expect(ledger.spent("u", "m", start + 6_000)).toMatchObject({ tokensMinute: 1_100 });
    // 1100 ≥ 1000: the first entry must age out (at start + 60 s) to get under the limit.
    expect(ledger.nextSlot("u", "m", { tpm: 1_000 }, start + 6_000)).toBe(start + 60_000);
    // Under 500: both must age out.
    expect(ledger.nextSlot("u", "m", { tpm: 400 }, start + 6_000)).toBe(start + 65_000);
    expect(ledger.nextSlot("u", "m", { tpm: 2_000 }, start + 6_000)).toBe(start + 6_000);
  });
});
