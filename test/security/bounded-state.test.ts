/**
 * Issue #14, finding 10: the bounded map every client-keyed map uses, and the budget ledger over
 * it (whose day counts the Durable Object saves), stay bounded whatever clients send.
 */
import { describe, expect, it } from "vitest";
import { BoundedMap } from "../../shared/bounded-map.ts";
import { BudgetLedger, ledgerLimit } from "../../shared/budget/ledger.ts";
import { parseGeminiPath } from "../../shared/gemini/paths.ts";

describe("BoundedMap", () => {
  it("keeps at most its limit, forgetting the least recently used first", () => {
    const map = new BoundedMap<string, number>(3);
    map.set("a", 1).set("b", 2).set("c", 3);
    expect(map.get("a")).toBe(1); // a is now the most recent
    map.set("d", 4);
    expect([...map.keys()]).toEqual(["c", "a", "d"]);
    expect(map.has("b")).toBe(false);
    map.set("c", 30); // a write counts as a use too
    map.set("e", 5);
    expect([...map]).toEqual([["d", 4], ["c", 30], ["e", 5]]);
    for (let index = 0; index < 5_000; index++) map.set(`k${index}`, index);
    expect(map.size).toBe(3);
    expect(() => new BoundedMap(0)).toThrow(RangeError);
  });
});

describe("BudgetLedger", () => {
  it("keeps a bounded number of counters and saved day counts after 5,000 model names", () => {
    const ledger = new BudgetLedger();
    const now = Date.UTC(2026, 11, 4, 12);
    for (let index = 0; index < 5_000; index++) ledger.reserve("key:a", `m${index}`, { rpd: 10 }, now);
    expect(ledger.size).toBe(ledgerLimit);
    expect(ledger.days().length).toBeLessThanOrEqual(ledgerLimit);
    expect(ledger.models().slice(0, 2)).toEqual(["m4999", "m4998"]);
    // A restored copy larger than the bound (an old Durable Object value) is cut to the most recent.
    const restored = new BudgetLedger();
    restored.restoreDays(Array.from({ length: 3_000 }, (_, index) => ({ name: `key:a\u0000m${index}`, dayEnds: now + 3_600_000, day: 1 })));
    expect(restored.size).toBe(ledgerLimit);
    expect(restored.spent("key:a", "m2999", now).day).toBe(1);
  });

  it("keeps counting a model that is in use while names are flooded", () => {
    const ledger = new BudgetLedger();
    const now = Date.UTC(2026, 11, 4, 12);
    for (let index = 0; index < 5_000; index++) {
      ledger.reserve("key:a", "gemini-2.5-flash", {}, now);
      ledger.reserve("key:a", `flood${index}`, {}, now);
    }
    expect(ledger.spent("key:a", "gemini-2.5-flash", now).day).toBe(5_000);
  });
});

describe("parseGeminiPath", () => {
  it("reads the model of every canonical spelling and refuses the rest", () => {
    expect(parseGeminiPath("/v1beta/models/gemini-2.5-flash:streamGenerateContent")).toMatchObject({ model: "gemini-2.5-flash", action: "streamGenerateContent", problem: null });
    expect(parseGeminiPath("/proxy/g/v1/tunedModels/my-model-1:generateContent")).toMatchObject({ prefix: "/proxy/g", model: "my-model-1", action: "generateContent", problem: null });
    expect(parseGeminiPath("/v1beta/tunedModels/my-model-1/permissions/p1")).toMatchObject({ model: "my-model-1", action: null, problem: null });
    expect(parseGeminiPath("/v1beta/models")).toMatchObject({ model: null, problem: null });
    expect(parseGeminiPath("/v1beta/files/abc")).toMatchObject({ model: null, problem: null });
    expect(parseGeminiPath("/upload/v1beta/files")).toMatchObject({ version: "upload", model: null, problem: null });
    for (const path of ["/v1beta/models/x:generateContent/", "/v1beta//models/x:generateContent", "/v1beta/Models/x:generateContent", "/v1beta/models/x:generatecontent", "/v1beta/models/x%3AgenerateContent", "/v1beta/models/x:generateContent:x", "/upload/v1beta/models/x:generateContent", "/v1beta/models/x/foo"]) {
      const parsed = parseGeminiPath(path);
      expect(parsed?.model, path).toBeNull();
      expect([400, 404], path).toContain(parsed?.problem?.status);
    }
  });
});
