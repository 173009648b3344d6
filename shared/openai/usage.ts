/**
 * Gemini usageMetadata → OpenAI usage. OpenAI counts reasoning inside `completion_tokens` (with
 * `completion_tokens_details.reasoning_tokens` saying how many), and cached prompt tokens inside
 * `prompt_tokens`; Gemini reports thoughts and candidates apart (Google's own compatibility layer
 * leaves thoughts out of completion_tokens, so its totals do not add up), so they are summed here.
 */
import type { UsageMetadata } from "../gemini/types.ts";

/** OpenAI's usage object. */
export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: { reasoning_tokens: number; audio_tokens: number; accepted_prediction_tokens: number; rejected_prediction_tokens: number };
}

function audioTokensOf(usage: UsageMetadata): number {
  const details = usage.promptTokensDetails;
  if (!Array.isArray(details)) return 0;
  let tokens = 0;
  for (const detail of details as unknown[]) {
    if (typeof detail !== "object" || detail === null) continue;
    const modality: unknown = Reflect.get(detail, "modality");
    const count: unknown = Reflect.get(detail, "tokenCount");
    if (modality === "AUDIO" && typeof count === "number") tokens += count;
  }
  return tokens;
}

/** The usage of an answer from its last (cumulative) usageMetadata. */
export function openAiUsage(usage: UsageMetadata | undefined): OpenAiUsage {
  const toolPrompt = typeof usage?.toolUsePromptTokenCount === "number" ? usage.toolUsePromptTokenCount : 0;
  const prompt = (usage?.promptTokenCount ?? 0) + toolPrompt;
  const reasoning = usage?.thoughtsTokenCount ?? 0;
  const completion = (usage?.candidatesTokenCount ?? 0) + reasoning;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: Math.max(usage?.totalTokenCount ?? 0, prompt + completion),
    prompt_tokens_details: { cached_tokens: usage?.cachedContentTokenCount ?? 0, audio_tokens: usage ? audioTokensOf(usage) : 0 },
    completion_tokens_details: { reasoning_tokens: reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}
