/**
 * Assembles streamed chunks into the single GenerateContentResponse a non-streaming client
 * expects: adjacent text parts of the same kind (thought or answer) joined, signatures kept on
 * the part they came with, function calls untouched, the last usage and finishReason.
 */
import type { Candidate, GenerateContentResponse, Part } from "./types.ts";

function mergeable(previous: Part | undefined, part: Part): previous is Part {
  if (previous === undefined || previous.text === undefined || part.text === undefined) return false;
  if (Boolean(previous.thought) !== Boolean(part.thought)) return false;
  // A signature must stay on its own part unless the part before has none to collide with.
  return part.thoughtSignature === undefined || previous.thoughtSignature === undefined;
}

function appendPart(parts: Part[], part: Part): void {
  const previous = parts.at(-1);
  if (mergeable(previous, part)) {
    previous.text = (previous.text ?? "") + (part.text ?? "");
    if (part.thoughtSignature !== undefined) previous.thoughtSignature = part.thoughtSignature;
    return;
  }
  parts.push({ ...part });
}

/** One response from the chunks of one answer (in order). */
export function aggregateChunks(chunks: readonly GenerateContentResponse[]): GenerateContentResponse {
  const result: GenerateContentResponse = {};
  const parts: Part[] = [];
  let candidate: Candidate | undefined;
  for (const chunk of chunks) {
    const { candidates, ...rest } = chunk;
    Object.assign(result, rest);
    const first = candidates?.[0];
    if (!first) continue;
    const { content, ...candidateRest } = first;
    candidate = { ...candidate, ...candidateRest };
    for (const part of content?.parts ?? []) appendPart(parts, part);
    if (content?.role) candidate.content = { role: content.role, parts };
  }
  if (candidate) {
    candidate.content = { role: candidate.content?.role ?? "model", parts };
    result.candidates = [candidate];
  }
  return result;
}
