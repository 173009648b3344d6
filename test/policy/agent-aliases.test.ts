/** Issue 17: model names agent CLIs send resolve through the model policy's patterns, then the built-in defaults. */
import { describe, expect, it } from "vitest";
import { emptyModelPolicy, isDisabled, resolveAlias, type ModelPolicy } from "../../shared/policy/model-policy.ts";

describe("agent model aliases", () => {
  it.each([
    ["claude-sonnet-4-5-20250929", "gemini-2.5-pro"],
    ["claude-opus-4-1", "gemini-2.5-pro"],
    ["claude-haiku-4-5-20251001", "gemini-2.5-flash"],
    ["claude-3-5-haiku-latest", "gemini-2.5-flash"],
    ["gpt-5-codex", "gemini-2.5-pro"],
    ["gpt-5-mini", "gemini-2.5-flash"],
    ["codex-mini-latest", "gemini-2.5-flash"],
    ["gemini-2.5-flash", "gemini-2.5-flash"],
    ["gpt-4o", "gpt-4o"],
  ])("resolves %s to %s by default", (name, target) => {
    expect(resolveAlias(emptyModelPolicy, name)).toBe(target);
  });

  it("lets the policy override them: its exact names first, then its patterns, most specific first", () => {
    const policy: ModelPolicy = {
      ...emptyModelPolicy,
      aliases: { "claude-*": "gemini-2.5-flash", "claude-opus-*": "gemini-3-pro-preview", "claude-sonnet-4-5": "gemini-2.5-flash-lite" },
    };
    expect(resolveAlias(policy, "claude-sonnet-4-5")).toBe("gemini-2.5-flash-lite");
    expect(resolveAlias(policy, "claude-opus-4-1")).toBe("gemini-3-pro-preview");
    expect(resolveAlias(policy, "claude-haiku-4-5")).toBe("gemini-2.5-flash");
    // A pattern's literal parts are literal: a dot matches only a dot.
    expect(resolveAlias({ ...emptyModelPolicy, aliases: { "a.b*": "x" } }, "aXb")).toBe("aXb");
  });

  it("applies the policy's disabled list to what an alias resolves to", () => {
    expect(isDisabled({ ...emptyModelPolicy, disabled: ["gemini-2.5-pro"] }, "claude-sonnet-4-5")).toBe(true);
  });
});
