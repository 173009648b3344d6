/**
 * Relays whose platform cuts long streams (Netlify at 60 s, Vercel at its maxDuration) and the
 * answers that would run into that limit. A cut there is expected and continued by resume like any
 * other cut (failures after the first byte never count against a relay's circuit); but an answer
 * that thinks for minutes is better sent where it is not cut at all.
 */
import type { Egress } from "../egress/egress.ts";
import type { GenerateContentRequest } from "../gemini/types.ts";

/** Thinking budgets (tokens) from which an answer is expected to outlast a 60 s stream. */
const longThinkingBudget = 8_192;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Whether an answer is expected to stream for long: a large thinking budget or the high thinking
 * level, or a Pro model left to think as it likes (Gemini 2.5 Pro and 3 Pro think dynamically by
 * default, often for minutes).
 */
export function expectsLongAnswer(model: string, body: GenerateContentRequest): boolean {
  const thinking = body.generationConfig?.thinkingConfig;
  const pro = /-pro(?:-|$)/.test(model);
  if (isRecord(thinking)) {
    if (typeof thinking.thinkingBudget === "number") return thinking.thinkingBudget === -1 ? pro : thinking.thinkingBudget >= longThinkingBudget;
    if (typeof thinking.thinkingLevel === "string") return thinking.thinkingLevel.toLowerCase() === "high";
  }
  return pro;
}

/** The egresses that let an answer stream longest (no limit beats any limit); all when they agree. */
export function longestStreaming(egresses: readonly Egress[]): Egress[] {
  const limit = (egress: Egress) => egress.maxStreamMs ?? Number.POSITIVE_INFINITY;
  const longest = Math.max(...egresses.map(limit));
  return egresses.filter((egress) => limit(egress) === longest);
}
