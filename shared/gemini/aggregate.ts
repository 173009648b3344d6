/**
 * Assembles streamed chunks into the single GenerateContentResponse a non-streaming client
 * expects: adjacent text parts of the same kind (thought or answer) joined, signatures kept on
 * the part they came with, function calls untouched, the last usage and finishReason. Inline
 * data is kept as it came (an image stays one part, byte for byte), except raw PCM audio: a TTS
 * answer streams its audio in pieces that Gemini's non-streamed answer gives as one part, and
 * clients read `parts[0].inlineData` for the whole of it.
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

/** Raw PCM audio (`audio/L16;codec=pcm;rate=24000` from the TTS models): pieces that join byte for byte. */
function pcmType(part: Part): string | null {
  const type = part.inlineData?.mimeType;
  return part.thought !== true && type !== undefined && /^audio\/(?:L16|pcm)\b/i.test(type) ? type : null;
}

/** `parts` with each run of PCM pieces of one type joined into one part (decoded once, encoded once). */
function joinPcm(parts: Part[]): Part[] {
  const result: Part[] = [];
  for (let index = 0; index < parts.length; ) {
    const part = parts[index]!;
    const type = pcmType(part);
    let end = index + 1;
    while (type !== null && end < parts.length && pcmType(parts[end]!) === type) end += 1;
    if (type === null || end === index + 1) result.push(part);
    else result.push({ ...part, inlineData: { ...part.inlineData, mimeType: type, data: btoa(parts.slice(index, end).map((piece) => atob(piece.inlineData?.data ?? "")).join("")) } });
    index = end;
  }
  return result;
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
    candidate.content = { role: candidate.content?.role ?? "model", parts: joinPcm(parts) };
    result.candidates = [candidate];
  }
  return result;
}
