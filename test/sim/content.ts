/**
 * Reading Gemini request bodies loosely: the simulator must accept whatever a client sends, so
 * nothing here throws on odd shapes; missing pieces read as empty.
 */
import { isRecord } from "./json.ts";

/** A `Content` as far as the simulator cares. */
export interface LooseContent {
  role: string | null;
  parts: Record<string, unknown>[];
}

/** Token estimate used everywhere in the simulator: one token per four characters, at least one for non-empty text. */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

/** `contents` of a GenerateContentRequest (or of `generateContentRequest` inside a countTokens body). */
export function contentsOf(body: unknown): LooseContent[] {
  if (!isRecord(body)) return [];
  const source = Array.isArray(body.contents)
    ? body.contents
    : isRecord(body.generateContentRequest) && Array.isArray(body.generateContentRequest.contents)
      ? body.generateContentRequest.contents
      : [];
  return source.filter(isRecord).map(toContent);
}

function toContent(content: Record<string, unknown>): LooseContent {
  const parts = Array.isArray(content.parts) ? content.parts.filter(isRecord) : [];
  return { role: typeof content.role === "string" ? content.role : null, parts };
}

/** Concatenated text of the parts; thought parts are skipped unless `withThoughts`. */
export function textOfParts(parts: readonly Record<string, unknown>[], withThoughts = false): string {
  return parts
    .filter((part) => withThoughts || part.thought !== true)
    .map((part) => (typeof part.text === "string" ? part.text : ""))
    .join("");
}

/** Text of the last user turn that has text (role `user` or no role). */
export function lastUserText(body: unknown): string {
  const contents = contentsOf(body);
  for (let index = contents.length - 1; index >= 0; index--) {
    const content = contents[index];
    if (content && content.role !== "model") {
      const text = textOfParts(content.parts);
      if (text.length > 0) return text;
    }
  }
  return "";
}

/** All prompt text (system instruction and every turn), for token counts. */
export function promptText(body: unknown): string {
  const pieces: string[] = [];
  if (isRecord(body)) {
    const request = isRecord(body.generateContentRequest) ? body.generateContentRequest : body;
    const system = request.systemInstruction ?? request.system_instruction;
    if (isRecord(system) && Array.isArray(system.parts)) pieces.push(textOfParts(system.parts.filter(isRecord)));
    if (isRecord(body.content) && Array.isArray(body.content.parts)) pieces.push(textOfParts(body.content.parts.filter(isRecord)));
  }
  for (const content of contentsOf(body)) {
    for (const part of content.parts) {
      if (typeof part.text === "string") pieces.push(part.text);
      else pieces.push(JSON.stringify(part));
    }
  }
  return pieces.join("\n");
}

/** The request's `generationConfig` (also accepts snake_case `generation_config`). */
export function generationConfigOf(body: unknown): Record<string, unknown> {
  if (!isRecord(body)) return {};
  const config = body.generationConfig ?? body.generation_config;
  return isRecord(config) ? config : {};
}

/** Thinking settings that change the answer's shape. */
export interface ThinkingRequest {
  includeThoughts: boolean;
  /** `thinkingBudget` when given (0 disables thinking on models that allow it). */
  budget: number | null;
}

/** `generationConfig.thinkingConfig`, tolerant of snake_case. */
export function thinkingRequestOf(body: unknown): ThinkingRequest {
  const config = generationConfigOf(body);
  const thinking = config.thinkingConfig ?? config.thinking_config;
  if (!isRecord(thinking)) return { includeThoughts: false, budget: null };
  const include = thinking.includeThoughts ?? thinking.include_thoughts;
  const budget = thinking.thinkingBudget ?? thinking.thinking_budget;
  return { includeThoughts: include === true, budget: typeof budget === "number" ? budget : null };
}

/** `generationConfig.maxOutputTokens`, or null. */
export function maxOutputTokensOf(body: unknown): number | null {
  const config = generationConfigOf(body);
  const value = config.maxOutputTokens ?? config.max_output_tokens;
  return typeof value === "number" && value > 0 ? value : null;
}

/** The visible text of the trailing model turn(s), for continuation requests (prefill or "continue" user turn). */
export function trailingModelText(body: unknown): string | null {
  const contents = contentsOf(body);
  let index = contents.length - 1;
  const last = contents[index];
  if (!last) return null;
  if (last.role !== "model") {
    // A short "continue" user turn after the partial model turn.
    index -= 1;
  }
  const model = contents[index];
  if (!model || model.role !== "model") return null;
  return textOfParts(model.parts);
}
