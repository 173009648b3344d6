/**
 * Which answers are expected to stream for long, which egresses let them, and the stream limit a
 * RELAY_URLS entry carries (`#maxStreamSeconds=N`, written by `gemrelay deploy` and `gemrelay dev`).
 */
import { describe, expect, it } from "vitest";
import { readWorkerConfig } from "../../shared/config/env.ts";
import type { Egress } from "../../shared/egress/egress.ts";
import { expectsLongAnswer, longestStreaming } from "../../shared/routing/stream-limits.ts";

const body = (thinkingConfig?: Record<string, unknown>) => ({ contents: [], ...(thinkingConfig ? { generationConfig: { thinkingConfig } } : {}) });
const egress = (id: string, maxStreamMs?: number): Egress => ({ id, weight: 1, ...(maxStreamMs ? { maxStreamMs } : {}), send: () => Promise.reject(new Error("unused")), probe: () => Promise.resolve(true) });

describe("stream limits", () => {
  it("expects long answers from Pro models left to think, large budgets and the high level", () => {
    expect(expectsLongAnswer("gemini-2.5-pro", body())).toBe(true);
    expect(expectsLongAnswer("gemini-3-pro-preview", body())).toBe(true);
    expect(expectsLongAnswer("gemini-2.5-pro", body({ thinkingBudget: 128 }))).toBe(false);
    expect(expectsLongAnswer("gemini-2.5-flash", body())).toBe(false);
    expect(expectsLongAnswer("gemini-2.5-flash", body({ thinkingBudget: -1 }))).toBe(false);
    expect(expectsLongAnswer("gemini-2.5-flash", body({ thinkingBudget: 24_576 }))).toBe(true);
    expect(expectsLongAnswer("gemini-3-flash-preview", body({ thinkingLevel: "HIGH" }))).toBe(true);
    expect(expectsLongAnswer("gemini-3-pro-preview", body({ thinkingLevel: "low" }))).toBe(false);
  });

  it("prefers the egresses that stream longest; no limit beats any", () => {
    const [netlify, vercel, direct] = [egress("nf", 60_000), egress("vc", 300_000), egress("direct")];
    expect(longestStreaming([netlify, vercel]).map((item) => item.id)).toEqual(["vc"]);
    expect(longestStreaming([netlify, vercel, direct]).map((item) => item.id)).toEqual(["direct"]);
    expect(longestStreaming([netlify, egress("nf2", 60_000)]).map((item) => item.id)).toEqual(["nf", "nf2"]);
  });

  it("reads maxStreamSeconds beside the weight in RELAY_URLS", () => {
    const config = readWorkerConfig({ RELAY_URLS: "https://a.example#maxStreamSeconds=60,https://b.example#weight=2&maxStreamSeconds=300,https://c.example" });
    expect(config.relays).toEqual([
      { url: "https://a.example", weight: 1, maxStreamMs: 60_000 },
      { url: "https://b.example", weight: 2, maxStreamMs: 300_000 },
      { url: "https://c.example", weight: 1 },
    ]);
  });
});
