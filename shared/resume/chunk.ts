/**
 * Reading one upstream SSE payload, and the pieces of rewriting one for the client: one identity
 * (responseId, modelVersion) across attempts, summed usage, and the chunks gemrelay writes itself
 * (a finish after a tool call that lost its finishReason, a blocked continuation).
 */
import { parseGoogleError, type GoogleError } from "../gemini/classify.ts";
import { generateContentResponseSchema, type Candidate, type GenerateContentResponse, type Part, type UsageMetadata } from "../gemini/types.ts";

/** An upstream payload, read. */
export type UpstreamChunk =
  | { kind: "chunk"; response: GenerateContentResponse }
  /** `{"error": …}` inside a 200 stream (a 503 "overloaded" after the stream started). */
  | { kind: "error"; error: GoogleError }
  | { kind: "unreadable" };

/** Reads one SSE `data` payload. */
export function readChunk(data: string): UpstreamChunk {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { kind: "unreadable" };
  }
  if (Array.isArray(value) || (typeof value === "object" && value !== null && "error" in value)) {
    const error = parseGoogleError(data);
    return error === null ? { kind: "unreadable" } : { kind: "error", error };
  }
  const parsed = generateContentResponseSchema.safeParse(value);
  return parsed.success ? { kind: "chunk", response: parsed.data } : { kind: "unreadable" };
}

/** The responseId and modelVersion the client sees on every chunk (the first attempt's). */
export interface AnswerIdentity {
  responseId?: string;
  modelVersion?: string;
}

/** `response` with its responseId and modelVersion replaced by the answer's (where it has them). */
export function withIdentity(response: GenerateContentResponse, identity: AnswerIdentity): GenerateContentResponse {
  const result = { ...response };
  if (identity.responseId !== undefined && result.responseId !== undefined) result.responseId = identity.responseId;
  if (identity.modelVersion !== undefined && result.modelVersion !== undefined) result.modelVersion = identity.modelVersion;
  return result;
}

/** Whether `response` agrees with `identity` (a chunk without the fields agrees: nothing to add). */
export function hasIdentity(response: GenerateContentResponse, identity: AnswerIdentity): boolean {
  const sameId = response.responseId === undefined || response.responseId === identity.responseId;
  const sameModel = response.modelVersion === undefined || response.modelVersion === identity.modelVersion;
  return sameId && sameModel;
}

/** `response` with the first candidate replaced by `candidate` (none when undefined). */
export function withCandidate(response: GenerateContentResponse, candidate: Candidate | undefined): GenerateContentResponse {
  const { candidates, ...rest } = response;
  if (candidate === undefined) return rest;
  return { ...rest, candidates: [candidate, ...(candidates ?? []).slice(1)] };
}

/** `candidate` without its finish (finishReason, finishMessage): the answer goes on. */
export function withoutFinish(candidate: Candidate): Candidate {
  const { finishReason: _reason, finishMessage: _message, ...rest } = candidate;
  return rest;
}

/** `candidate` with `parts` as its content (content without parts when empty, as Gemini sends it). */
export function withParts(candidate: Candidate, parts: Part[]): Candidate {
  const role = candidate.content?.role ?? "model";
  return { ...candidate, content: parts.length > 0 ? { ...candidate.content, role, parts } : { role } };
}

/** A chunk gemrelay writes itself: `parts` and/or a finishReason, the answer's identity and usage. */
export function syntheticChunk(fields: { parts?: Part[]; finishReason?: string }, identity: AnswerIdentity, usage: UsageMetadata | undefined): GenerateContentResponse {
  const candidate: Candidate = { content: { role: "model", ...(fields.parts ? { parts: fields.parts } : {}) }, index: 0 };
  if (fields.finishReason !== undefined) candidate.finishReason = fields.finishReason;
  const response: GenerateContentResponse = { candidates: [candidate] };
  if (usage !== undefined) response.usageMetadata = usage;
  if (identity.modelVersion !== undefined) response.modelVersion = identity.modelVersion;
  if (identity.responseId !== undefined) response.responseId = identity.responseId;
  return response;
}
