/**
 * Gemini finishReason → OpenAI finish_reason, with an exhaustive table (REFERENCE.md §1, §7).
 * The raw value travels too, as `native_finish_reason` (the name OpenRouter uses), because
 * "content_filter" alone cannot tell SAFETY from RECITATION.
 */

/** OpenAI's finish reasons for chat completions. */
export type OpenAiFinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/** Every finishReason Gemini documents. */
const finishReasons: Readonly<Record<string, OpenAiFinishReason>> = {
  FINISH_REASON_UNSPECIFIED: "stop",
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
  RECITATION: "content_filter",
  LANGUAGE: "content_filter",
  OTHER: "stop",
  BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  SPII: "content_filter",
  // The model tried a call Gemini could not parse: no call reaches the client, so it simply stopped.
  MALFORMED_FUNCTION_CALL: "stop",
  IMAGE_SAFETY: "content_filter",
  IMAGE_PROHIBITED_CONTENT: "content_filter",
  IMAGE_RECITATION: "content_filter",
  IMAGE_OTHER: "stop",
  NO_IMAGE: "stop",
  UNEXPECTED_TOOL_CALL: "stop",
  TOO_MANY_TOOL_CALLS: "stop",
  MISSING_THOUGHT_SIGNATURE: "stop",
};

/**
 * The OpenAI finish reason for how an answer ended: `tool_calls` whenever it ended by calling
 * tools normally, `content_filter` for a blocked prompt, else the table (unknown values: stop).
 */
export function openAiFinishReason(geminiReason: string | undefined, calledTools: boolean, promptBlocked: boolean): OpenAiFinishReason {
  if (promptBlocked) return "content_filter";
  const mapped = geminiReason === undefined ? "stop" : (finishReasons[geminiReason] ?? "stop");
  return calledTools && mapped === "stop" ? "tool_calls" : mapped;
}
