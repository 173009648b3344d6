/**
 * The request for the next attempt: the original request with the visible text so far as the
 * model's turn (REFERENCE.md §6). Only visible text goes in — never thought text and never a
 * thoughtSignature from an attempt that was cut (Gemini binds signatures to the exact parts they
 * came with). tools, toolConfig, generationConfig and systemInstruction stay as the client sent
 * them. With no visible text yet, the next attempt is the original request itself (a restart).
 */
import type { Content, GenerateContentRequest } from "../gemini/types.ts";
import type { ContinuationMode } from "./policy.ts";

/** The user turn of `user-turn` mode, in the words that work best in practice (REFERENCE.md §6). */
export const continuePrompt = "Continue exactly where you left off without any preamble or repetition.";

/** The request that asks for the rest of an answer of which `visibleText` reached the client. */
export function continuationRequest(original: GenerateContentRequest, visibleText: string, mode: ContinuationMode): GenerateContentRequest {
  if (visibleText.length === 0) return original;
  const contents: Content[] = [...original.contents];
  const last = contents.at(-1);
  // A client that prefilled the answer itself: extend its model turn rather than add a second one.
  const extendsClientPrefill = last?.role === "model" && last.parts.every((part) => part.functionCall === undefined);
  if (extendsClientPrefill && last) contents[contents.length - 1] = { ...last, parts: [...last.parts, { text: visibleText }] };
  else contents.push({ role: "model", parts: [{ text: visibleText }] });
  if (mode === "user-turn") contents.push({ role: "user", parts: [{ text: continuePrompt }] });
  return { ...original, contents };
}
