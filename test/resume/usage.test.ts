/** Usage across attempts: summed, so it only grows. */
import { describe, expect, it } from "vitest";
import { addUsage } from "../../shared/resume/usage.ts";

describe("addUsage", () => {
  it("adds counts and per-modality details, keeps other fields from the later attempt", () => {
    const first = { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15, promptTokensDetails: [{ modality: "TEXT", tokenCount: 10 }], serviceTier: "standard" };
    const second = { promptTokenCount: 14, candidatesTokenCount: 7, thoughtsTokenCount: 3, totalTokenCount: 24, promptTokensDetails: [{ modality: "TEXT", tokenCount: 14 }], serviceTier: "priority" };
    expect(addUsage(first, second)).toEqual({
      promptTokenCount: 24,
      candidatesTokenCount: 12,
      thoughtsTokenCount: 3,
      totalTokenCount: 39,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: 24 }],
      serviceTier: "priority",
    });
  });

  it("passes either side through when the other is missing", () => {
    const usage = { totalTokenCount: 3 };
    expect(addUsage(undefined, usage)).toBe(usage);
    expect(addUsage(usage, undefined)).toBe(usage);
  });
});
