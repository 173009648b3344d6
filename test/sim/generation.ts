/**
 * Turns "what the model says" plus an optional fault into the GenerateContentResponse chunks
 * Gemini would stream (REFERENCE §1): thought parts first, cumulative usageMetadata on every
 * chunk, one responseId and modelVersion throughout, finishReason only on the last chunk,
 * thoughtSignature on the first answer part, and for Gemini 3 a terminal
 * `{"text": "", "thoughtSignature": …}` part carrying the finishReason.
 */
import { randomBytes } from "node:crypto";
import { estimateTokens } from "./content.ts";
import malformedCapture from "./fixtures/gemini_nonstream_MALFORMED_FUNCTION_CALL.json" with { type: "json" };
import { isRecord } from "./json.ts";
import { layoutOf, ttsMimeType, type OutputKind, type PlacedPart } from "./media.ts";
import { isGemini3 } from "./models.ts";
import type { Fault, FunctionCallSpec } from "./types.ts";

/** Everything needed to script one answer. */
export interface GenerationInput {
  /** Model id without `models/`. */
  model: string;
  /** Visible answer text. */
  answer: string;
  /** Thought text; "" when the model does not think for this request. */
  thoughts: string;
  /** Whether thought parts are streamed (`thinkingConfig.includeThoughts`). */
  includeThoughts: boolean;
  /** Prompt tokens, the cached ones included. */
  promptTokens: number;
  /** The part of `promptTokens` read from a context cache. */
  cachedTokens: number;
  chunkChars: number;
  maxOutputTokens: number | null;
  fault: Fault | null;
  /** Image, audio or code execution answers (media.ts); default text. */
  output?: OutputKind;
}

/** The events of one streamed answer and how the connection ends after them. */
export interface StreamScript {
  /** `data` payloads in order: GenerateContentResponse chunks, possibly an error object. */
  events: Record<string, unknown>[];
  /** end = clean end of the body; reset = socket destroyed; stall = nothing more is sent. */
  ending: "end" | "reset" | "stall";
  /** A `pause` fault: silence of `ms` after event number `afterEvent` (from 1). */
  pause?: { afterEvent: number; ms: number };
}

/** The body Gemini sends for an overload that happens after the stream started. */
export const inStreamOverload = {
  error: { code: 503, message: "The model is overloaded. Please try again later.", status: "UNAVAILABLE" },
};

const functionCallMessage = "Model generated function call(s).";
const malformedMessage = malformedCapture.candidates[0]?.finishMessage ?? "Malformed function call.";

/** A random id in the style of Gemini's responseId. */
export function newResponseId(): string {
  return randomBytes(17).toString("base64url").slice(0, 22);
}

/** A random thoughtSignature (opaque base64 in real answers). */
export function newThoughtSignature(): string {
  return randomBytes(48).toString("base64");
}

/** Splits text into chunks of `size` characters (code points, so no surrogate pair is split). */
export function splitText(text: string, size: number): string[] {
  const characters = Array.from(text);
  const chunks: string[] = [];
  for (let index = 0; index < characters.length; index += size) chunks.push(characters.slice(index, index + size).join(""));
  return chunks;
}

/** The first `count` characters (code points) of `text`. */
export function firstCharacters(text: string, count: number): string {
  return Array.from(text).slice(0, Math.max(0, count)).join("");
}

/** Builds chunks while keeping the cumulative usage. */
class ChunkBuilder {
  readonly events: Record<string, unknown>[] = [];
  #thoughtTokens = 0;
  #candidateText = "";
  #extraCandidateTokens = 0;
  readonly #responseId = newResponseId();

  constructor(
    private readonly input: GenerationInput,
    /** Thought tokens billed from the first chunk on when thoughts are hidden. */
    hiddenThoughtTokens: number,
  ) {
    this.#thoughtTokens = hiddenThoughtTokens;
  }

  addThoughts(tokens: number): void {
    this.#thoughtTokens += tokens;
  }

  addCandidateText(text: string): void {
    this.#candidateText += text;
  }

  addCandidateTokens(tokens: number): void {
    this.#extraCandidateTokens += tokens;
  }

  usage(): Record<string, unknown> {
    const candidates = estimateTokens(this.#candidateText) + this.#extraCandidateTokens;
    const usage: Record<string, unknown> = { promptTokenCount: this.input.promptTokens };
    if (candidates > 0) usage.candidatesTokenCount = candidates;
    usage.totalTokenCount = this.input.promptTokens + candidates + this.#thoughtTokens;
    usage.promptTokensDetails = [{ modality: "TEXT", tokenCount: this.input.promptTokens }];
    if (this.input.cachedTokens > 0) {
      usage.cachedContentTokenCount = this.input.cachedTokens;
      usage.cacheTokensDetails = [{ modality: "TEXT", tokenCount: this.input.cachedTokens }];
    }
    if (this.#thoughtTokens > 0) usage.thoughtsTokenCount = this.#thoughtTokens;
    return usage;
  }

  /** Pushes one chunk; `parts: null` means a candidate without content. */
  push(parts: Record<string, unknown>[] | null, finish: Record<string, unknown> = {}): void {
    const candidate: Record<string, unknown> = {};
    if (parts !== null) candidate.content = { parts, role: "model" };
    if (finish.finishReason !== undefined) candidate.finishReason = finish.finishReason;
    candidate.index = 0;
    for (const [name, value] of Object.entries(finish)) if (name !== "finishReason") candidate[name] = value;
    this.events.push({
      candidates: [candidate],
      usageMetadata: this.usage(),
      modelVersion: this.input.model,
      responseId: this.#responseId,
    });
  }

  pushRaw(data: Record<string, unknown>): void {
    this.events.push(data);
  }

  get responseId(): string {
    return this.#responseId;
  }
}

/** How a fault shapes the visible part of the answer. */
interface Shape {
  /** Visible answer text to stream. */
  text: string;
  /** finishReason for the end, or null for none. */
  finishReason: string | null;
  finishMessage?: string;
  ending: StreamScript["ending"];
  /** Extra event after the text (error-in-stream). */
  trailingEvent?: Record<string, unknown>;
  emptyStop?: "no-parts" | "empty-text";
  /** The calls of one step, the first signed. */
  functionCalls?: FunctionCallSpec[];
}

/** The streamed form of an answer. */
export function buildStream(input: GenerationInput): StreamScript {
  const fault = input.fault;
  const budget = limitToBudget(input);
  const visibleThoughts = input.includeThoughts ? budget.thoughts : "";
  const builder = new ChunkBuilder(input, input.includeThoughts ? 0 : estimateTokens(budget.thoughts));

  if (fault?.kind === "block") {
    builder.pushRaw({
      promptFeedback: { blockReason: fault.reason },
      usageMetadata: { promptTokenCount: input.promptTokens, totalTokenCount: input.promptTokens },
      modelVersion: input.model,
      responseId: builder.responseId,
    });
    return { events: builder.events, ending: "end" };
  }

  for (const chunk of splitText(visibleThoughts, Math.max(input.chunkChars, 64))) {
    builder.addThoughts(estimateTokens(chunk));
    builder.push([{ text: chunk, thought: true }]);
  }

  const layout = layoutOf(input.output ?? "text", budget.answer);
  const shape = shapeFor(fault, layout.text, budget.finishReason);
  // With visible thoughts, the first answer part carries the signature (REFERENCE §1).
  const signature = visibleThoughts.length > 0 ? newThoughtSignature() : null;
  if (shape.emptyStop) {
    builder.pushRaw(emptyCandidateChunk(builder, shape.emptyStop === "empty-text" ? [{ text: "" }] : [], input.model));
  } else if (shape.functionCalls) {
    pushText(builder, answerItems(splitText(shape.text, input.chunkChars), []), signature, null);
    for (const call of shape.functionCalls) builder.addCandidateTokens(estimateTokens(JSON.stringify(call)));
    const parts = shape.functionCalls.map((call, index) => (index === 0 ? { functionCall: call, thoughtSignature: newThoughtSignature() } : { functionCall: call }));
    builder.push(parts, { finishReason: "STOP", finishMessage: functionCallMessage });
  } else {
    const afterParts = fault?.kind === "cut" ? fault.afterParts : undefined;
    pushText(builder, answerItems(splitText(shape.text, input.chunkChars), layout.parts, afterParts), signature, finishOf(shape), isGemini3(input.model));
  }
  if (shape.trailingEvent) builder.pushRaw(shape.trailingEvent);
  const script: StreamScript = { events: builder.events, ending: shape.ending };
  if (fault?.kind === "pause") script.pause = { afterEvent: eventReaching(builder.events, fault.afterChars), ms: fault.ms };
  return script;
}

/** One answer chunk's content: a piece of text, or a non-text part with its tokens. */
type AnswerItem = { text: string } | { part: Record<string, unknown>; tokens: number };

/**
 * The answer's chunks in order: text pieces, and each non-text part in a chunk of its own once
 * the text before it has gone out. Parts placed after the (cut) text are left out, and so is
 * everything after the `afterParts`-th part when a cut says so.
 */
function answerItems(chunks: string[], parts: readonly PlacedPart[], afterParts?: number): AnswerItem[] {
  const items: AnswerItem[] = [];
  let offset = 0;
  let next = 0;
  let placed = 0;
  const placeUpTo = (position: number): boolean => {
    for (; next < parts.length && parts[next]!.offset <= position; next++) {
      if (afterParts !== undefined && placed >= afterParts) return false;
      items.push({ part: parts[next]!.part, tokens: parts[next]!.tokens });
      placed += 1;
    }
    return afterParts === undefined || placed < afterParts;
  };
  for (const chunk of chunks) {
    if (!placeUpTo(offset)) return items;
    items.push({ text: chunk });
    offset += Array.from(chunk).length;
  }
  placeUpTo(offset);
  return items;
}

/** The number (from 1) of the event with which the answer's visible text reaches `characters`. */
function eventReaching(events: readonly Record<string, unknown>[], characters: number): number {
  let seen = 0;
  for (const [index, event] of events.entries()) {
    const candidates = Array.isArray(event.candidates) ? event.candidates : [];
    const first: unknown = candidates[0];
    const content = isRecord(first) && isRecord(first.content) ? first.content : null;
    const parts = content !== null && Array.isArray(content.parts) ? content.parts : [];
    for (const part of parts) if (isRecord(part) && part.thought !== true && typeof part.text === "string") seen += Array.from(part.text).length;
    if (seen >= characters) return index + 1;
  }
  return events.length;
}

/** The candidate fields that end an answer (finishReason, finishMessage, safetyRatings), or null for none. */
function finishOf(shape: Shape): Record<string, unknown> | null {
  if (shape.finishReason === null) return null;
  const finish: Record<string, unknown> = { finishReason: shape.finishReason };
  if (shape.finishMessage !== undefined) finish.finishMessage = shape.finishMessage;
  if (shape.finishReason === "SAFETY") finish.safetyRatings = safetyRatings();
  return finish;
}

/**
 * Pushes the answer chunks, the first signed when `signature` is given, the last carrying
 * `finish`. Gemini 3 ends a normal answer (STOP, MAX_TOKENS) with an extra empty-text part that
 * carries its own signature and the finishReason.
 */
function pushText(builder: ChunkBuilder, chunks: AnswerItem[], signature: string | null, finish: Record<string, unknown> | null, gemini3 = false): void {
  const terminalPart = gemini3 && (finish?.finishReason === "STOP" || finish?.finishReason === "MAX_TOKENS");
  chunks.forEach((item, index) => {
    const last = index === chunks.length - 1;
    let part: Record<string, unknown>;
    if ("text" in item) {
      builder.addCandidateText(item.text);
      part = { text: item.text };
    } else {
      builder.addCandidateTokens(item.tokens);
      part = item.part;
    }
    builder.push([withSignature(part, index === 0 ? signature : null)], last && !terminalPart && finish ? finish : {});
  });
  if (finish === null) return;
  if (terminalPart) builder.push([{ text: "", thoughtSignature: newThoughtSignature() }], finish);
  else if (chunks.length === 0) builder.push(null, finish);
}

/** Applies `maxOutputTokens` (which counts thinking too, as in the MAX_TOKENS fixtures). */
function limitToBudget(input: GenerationInput): { thoughts: string; answer: string; finishReason: string } {
  const answer = input.answer;
  if (input.maxOutputTokens === null) return { thoughts: input.thoughts, answer, finishReason: "STOP" };
  const budgetChars = input.maxOutputTokens * 4;
  const thoughtChars = Array.from(input.thoughts).length;
  if (thoughtChars >= budgetChars) return { thoughts: firstCharacters(input.thoughts, budgetChars), answer: "", finishReason: "MAX_TOKENS" };
  const room = budgetChars - thoughtChars;
  if (Array.from(answer).length <= room) return { thoughts: input.thoughts, answer, finishReason: "STOP" };
  return { thoughts: input.thoughts, answer: firstCharacters(answer, room), finishReason: "MAX_TOKENS" };
}

function shapeFor(fault: Fault | null, answer: string, naturalFinish: string): Shape {
  switch (fault?.kind) {
    case "cut":
      return { text: firstCharacters(answer, fault.afterChars), finishReason: null, ending: fault.mode === "close" ? "end" : fault.mode };
    case "pause":
      return { text: answer, finishReason: naturalFinish, ending: "end" };
    case "no-finish":
      return { text: answer, finishReason: null, ending: "end" };
    case "empty-stop":
      return { text: "", finishReason: "STOP", ending: "end", emptyStop: fault.shape ?? "no-parts" };
    case "error-in-stream":
      return {
        text: firstCharacters(answer, fault.afterChars),
        finishReason: null,
        ending: "end",
        trailingEvent: fault.error ?? structuredClone(inStreamOverload),
      };
    case "finish": {
      const malformed = fault.reason === "MALFORMED_FUNCTION_CALL";
      const text = firstCharacters(answer, fault.afterChars ?? (malformed ? 0 : Number.MAX_SAFE_INTEGER));
      const shape: Shape = { text, finishReason: fault.reason, ending: "end" };
      const message = fault.message ?? (malformed ? malformedMessage : undefined);
      if (message !== undefined) shape.finishMessage = message;
      return shape;
    }
    case "function-call":
      return {
        text: fault.text ?? "",
        finishReason: "STOP",
        ending: "end",
        functionCalls: [{ name: fault.name, args: fault.args }, ...(fault.parallel ?? [])],
      };
    default:
      return { text: answer, finishReason: naturalFinish, ending: "end" };
  }
}

function withSignature(part: Record<string, unknown>, signature: string | null): Record<string, unknown> {
  return signature === null ? part : { ...part, thoughtSignature: signature };
}

function emptyCandidateChunk(builder: ChunkBuilder, parts: Record<string, unknown>[], model: string): Record<string, unknown> {
  const content: Record<string, unknown> = parts.length > 0 ? { parts, role: "model" } : { role: "model" };
  return {
    candidates: [{ content, finishReason: "STOP", index: 0 }],
    usageMetadata: builder.usage(),
    modelVersion: model,
    responseId: builder.responseId,
  };
}

function safetyRatings(): Record<string, unknown>[] {
  return [
    { category: "HARM_CATEGORY_SEXUALLY_EXPLICIT", probability: "NEGLIGIBLE" },
    { category: "HARM_CATEGORY_HATE_SPEECH", probability: "NEGLIGIBLE" },
    { category: "HARM_CATEGORY_HARASSMENT", probability: "NEGLIGIBLE" },
    { category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH", blocked: true },
  ];
}

/**
 * The non-streamed form: the chunks merged into one GenerateContentResponse (consecutive text
 * parts joined, signatures kept, last finishReason and usage).
 */
export function mergeStream(events: readonly Record<string, unknown>[]): Record<string, unknown> {
  const parts: Record<string, unknown>[] = [];
  let candidate: Record<string, unknown> | null = null;
  let merged: Record<string, unknown> = {};
  for (const event of events) {
    if (isRecord(event.error)) continue;
    const { candidates, ...rest } = event;
    merged = { ...merged, ...rest };
    const first = Array.isArray(candidates) && isRecord(candidates[0]) ? candidates[0] : null;
    if (!first) continue;
    const { content, ...candidateRest } = first;
    candidate = { ...(candidate ?? {}), ...candidateRest };
    if (isRecord(content) && Array.isArray(content.parts)) for (const part of content.parts) if (isRecord(part)) mergePart(parts, part);
  }
  if (candidate === null) return merged;
  const { index, finishReason, ...others } = candidate;
  const finalCandidate: Record<string, unknown> = {};
  if (parts.length > 0 || candidate.finishReason === undefined || hasContent(events)) finalCandidate.content = parts.length > 0 ? { parts, role: "model" } : { role: "model" };
  if (finishReason !== undefined) finalCandidate.finishReason = finishReason;
  finalCandidate.index = index ?? 0;
  Object.assign(finalCandidate, others);
  const { usageMetadata, modelVersion, responseId, ...rest } = merged;
  return { candidates: [finalCandidate], usageMetadata, modelVersion, responseId, ...rest };
}

function hasContent(events: readonly Record<string, unknown>[]): boolean {
  return events.some((event) => Array.isArray(event.candidates) && isRecord(event.candidates[0]) && event.candidates[0].content !== undefined);
}

function mergePart(parts: Record<string, unknown>[], part: Record<string, unknown>): void {
  const previous = parts[parts.length - 1];
  // TTS audio: the non-streamed answer carries the whole PCM stream in one part.
  const audio = isRecord(part.inlineData) && part.inlineData.mimeType === ttsMimeType ? part.inlineData : null;
  if (audio && previous && isRecord(previous.inlineData) && previous.inlineData.mimeType === ttsMimeType) {
    const joined = Buffer.concat([Buffer.from(String(previous.inlineData.data), "base64"), Buffer.from(String(audio.data), "base64")]);
    previous.inlineData = { ...previous.inlineData, data: joined.toString("base64") };
    return;
  }
  const isText = typeof part.text === "string";
  if (previous && isText && typeof previous.text === "string" && (previous.thought === true) === (part.thought === true)) {
    if (part.thoughtSignature === undefined) {
      previous.text = previous.text + String(part.text);
      return;
    }
    if (part.text === "" && previous.thoughtSignature === undefined) {
      previous.thoughtSignature = part.thoughtSignature;
      return;
    }
  }
  parts.push({ ...part });
}
