/**
 * Sentinel mode (opt-in): the model is asked to end every answer with a marker; an answer that
 * stops without it counts as cut off, which catches "STOP on visibly cut text". The marker never
 * reaches the client: it is stripped with a look-ahead window, so a marker split over chunks
 * ("[do" + "ne]") is caught too. Never used with tools or structured (JSON) output, where a
 * marker would break the answer (REFERENCE.md §6).
 */
import type { GenerateContentRequest } from "../gemini/types.ts";

/** The end marker. */
export const sentinelMarker = "[done]";

/** The instruction appended to the system instruction. */
export const sentinelInstruction = `When your answer is complete, end it with the marker ${sentinelMarker} on its own. Never write ${sentinelMarker} anywhere else.`;

/** Whether sentinel mode may be used for `request`: no tools, no response schema, no JSON output. */
export function sentinelApplies(request: GenerateContentRequest): boolean {
  if ((request.tools?.length ?? 0) > 0) return false;
  const config = request.generationConfig ?? {};
  if (config.responseSchema !== undefined || config.responseJsonSchema !== undefined) return false;
  // Image and audio output (TTS would speak the marker): the marker is for text answers only.
  const modalities = config.responseModalities;
  if (Array.isArray(modalities) && modalities.some((modality) => String(modality).toUpperCase() !== "TEXT")) return false;
  if (config.speechConfig !== undefined) return false;
  const mimeType = config.responseMimeType;
  return typeof mimeType !== "string" || mimeType === "text/plain";
}

/** `request` with the sentinel instruction appended to its system instruction. */
export function withSentinelInstruction(request: GenerateContentRequest): GenerateContentRequest {
  const system = request.systemInstruction;
  const parts = [...(system?.parts ?? []), { text: sentinelInstruction }];
  return { ...request, systemInstruction: { ...system, parts } };
}

/** Strips the marker from streamed visible text, holding back only what could be its start. */
export class SentinelStripper {
  #held = "";
  #seen = false;

  /** Whether the marker has appeared. */
  get seen(): boolean {
    return this.#seen;
  }

  /** Feeds text; returns what may go to the client now. */
  push(text: string): string {
    let buffer = this.#held + text;
    let index = buffer.indexOf(sentinelMarker);
    while (index >= 0) {
      this.#seen = true;
      buffer = buffer.slice(0, index) + buffer.slice(index + sentinelMarker.length);
      index = buffer.indexOf(sentinelMarker);
    }
    const keep = heldLength(buffer);
    this.#held = buffer.slice(buffer.length - keep);
    return buffer.slice(0, buffer.length - keep);
  }

  /** The text is complete: what is left, without the whitespace that led up to the marker. */
  finish(): string {
    const rest = this.#held;
    this.#held = "";
    // An unfinished marker at the very end ("[do") was text after all.
    return this.#seen && rest.trim() === "" ? "" : rest;
  }
}

/** How much of the end of `buffer` could still grow into the marker: a marker prefix and the whitespace before it. */
function heldLength(buffer: string): number {
  let prefix = 0;
  for (let length = Math.min(sentinelMarker.length - 1, buffer.length); length > 0; length--) {
    if (sentinelMarker.startsWith(buffer.slice(buffer.length - length))) {
      prefix = length;
      break;
    }
  }
  let start = buffer.length - prefix;
  while (start > 0 && /\s/.test(buffer[start - 1] ?? "")) start--;
  return buffer.length - start;
}
