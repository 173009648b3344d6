/**
 * Thinking controls: OpenAI's `reasoning_effort` and Google's `extra_body.google.thinking_config`
 * → `generationConfig.thinkingConfig`. Gemini 2.5 takes a token budget; Gemini 3 takes a level
 * (https://ai.google.dev/gemini-api/docs/thinking). Budgets follow Google's own compatibility
 * layer: low, medium, high → 1K, 8K, 24K tokens, none → 0 (REFERENCE.md §7).
 */
import type { GoogleExtension, ReasoningEffort } from "./schema.ts";

/** Gemini's thinkingConfig as gemrelay sends it. */
export interface ThinkingConfig {
  thinkingBudget?: number;
  thinkingLevel?: string;
  includeThoughts?: boolean;
}

const budgets: Readonly<Record<ReasoningEffort, number>> = {
  none: 0,
  minimal: 512,
  low: 1_024,
  medium: 8_192,
  high: 24_576,
  // Gemini 2.5 Flash tops out at 24,576; asking for more is a 400.
  xhigh: 24_576,
};

/** Gemini 2.5 Pro cannot turn thinking off; 128 is its smallest budget. */
const smallestProBudget = 128;

function isGemini3(model: string): boolean {
  return model.startsWith("gemini-3");
}

/** Gemini 3 Pro knows only `low` and `high`; the Flash models also `minimal` and `medium`. */
function thinkingLevel(model: string, effort: ReasoningEffort): string {
  const pro = model.includes("-pro");
  switch (effort) {
    case "none":
    case "minimal":
      return pro ? "low" : "minimal";
    case "low":
      return "low";
    case "medium":
      return pro ? "high" : "medium";
    default:
      return "high";
  }
}

function fromEffort(model: string, effort: ReasoningEffort): ThinkingConfig {
  // Thoughts are shown whenever the client asks for reasoning: that is what reasoning_effort means to clients that display reasoning_content.
  const includeThoughts = effort !== "none";
  if (isGemini3(model)) return { thinkingLevel: thinkingLevel(model, effort), includeThoughts };
  const budget = effort === "none" && model.startsWith("gemini-2.5-pro") ? smallestProBudget : budgets[effort];
  return { thinkingBudget: budget, includeThoughts };
}

/** The thinkingConfig for a request, or undefined when the client said nothing about thinking. */
export function thinkingConfigOf(model: string, effort: ReasoningEffort | null | undefined, google: GoogleExtension | null | undefined): ThinkingConfig | undefined {
  const config: ThinkingConfig = effort ? fromEffort(model, effort) : {};
  const explicit = google?.thinking_config;
  if (explicit) {
    const budget = explicit.thinking_budget ?? explicit.thinkingBudget;
    const level = explicit.thinking_level ?? explicit.thinkingLevel;
    const include = explicit.include_thoughts ?? explicit.includeThoughts;
    // Gemini refuses a budget and a level together: the explicit one wins.
    if (budget !== null && budget !== undefined) {
      config.thinkingBudget = budget;
      delete config.thinkingLevel;
    }
    if (level !== null && level !== undefined) {
      config.thinkingLevel = level;
      delete config.thinkingBudget;
    }
    if (include !== null && include !== undefined) config.includeThoughts = include;
  }
  return Object.keys(config).length > 0 ? config : undefined;
}
