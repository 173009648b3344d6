/**
 * Small helpers for tests that talk to the simulator (or to anything that streams like Gemini):
 * split an SSE body into events, read a response's events, join the visible text.
 */
import { isRecord } from "./json.ts";

/** The JSON payloads of an SSE body (events split on blank lines, CRLF or LF; comments and [DONE] skipped). */
export function parseSseEvents(body: string): unknown[] {
  const events: unknown[] = [];
  for (const block of body.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).replace(/^ /, ""))
      .join("\n");
    if (data === "" || data === "[DONE]") continue;
    events.push(JSON.parse(data));
  }
  return events;
}

/** Reads a whole SSE response into its JSON events. */
export async function readSseEvents(response: Response): Promise<unknown[]> {
  return parseSseEvents(await response.text());
}

/** The candidate parts of a GenerateContentResponse (first candidate). */
export function partsOf(chunk: unknown): Record<string, unknown>[] {
  if (!isRecord(chunk) || !Array.isArray(chunk.candidates)) return [];
  const candidate: unknown = chunk.candidates[0];
  if (!isRecord(candidate) || !isRecord(candidate.content) || !Array.isArray(candidate.content.parts)) return [];
  return candidate.content.parts.filter(isRecord);
}

/** The finishReason of a GenerateContentResponse (first candidate), or undefined. */
export function finishReasonOf(chunk: unknown): string | undefined {
  if (!isRecord(chunk) || !Array.isArray(chunk.candidates)) return undefined;
  const candidate: unknown = chunk.candidates[0];
  return isRecord(candidate) && typeof candidate.finishReason === "string" ? candidate.finishReason : undefined;
}

/** Visible (non-thought) text of one or more chunks. */
export function visibleText(chunks: unknown | unknown[]): string {
  const list = Array.isArray(chunks) ? chunks : [chunks];
  return list
    .flatMap(partsOf)
    .filter((part) => part.thought !== true && typeof part.text === "string")
    .map((part) => String(part.text))
    .join("");
}

/** Thought text of one or more chunks. */
export function thoughtText(chunks: unknown | unknown[]): string {
  const list = Array.isArray(chunks) ? chunks : [chunks];
  return list
    .flatMap(partsOf)
    .filter((part) => part.thought === true && typeof part.text === "string")
    .map((part) => String(part.text))
    .join("");
}
