/**
 * `embedContent`, `batchEmbedContents` and `countTokens`. Embeddings are deterministic: the same
 * text and model always give the same unit vector, truncated to `outputDimensionality`.
 */
import { estimateTokens, promptText, textOfParts } from "./content.ts";
import { googleError, missingFieldError, type HttpAnswer } from "./errors.ts";
import { isRecord } from "./json.ts";
import type { SimulatedModel } from "./models.ts";

/** A deterministic embedding of `text`, as Gemini's `{values: [...]}`. */
export function embed(model: SimulatedModel, text: string, outputDimensionality?: number): { values: number[] } {
  const full = model.embeddingDimensions ?? 768;
  const size = outputDimensionality !== undefined && outputDimensionality > 0 ? Math.min(outputDimensionality, full) : full;
  const random = mulberry32(fnv1a(`${model.id}\u0000${text}`));
  const values = Array.from({ length: full }, () => random() * 2 - 1);
  const norm = Math.sqrt(values.reduce((sum, value) => sum + value * value, 0)) || 1;
  return { values: values.slice(0, size).map((value) => Math.round((value / norm) * 1e9) / 1e9) };
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Text and dimensionality of one EmbedContentRequest, or a 400. */
function readEmbedRequest(request: unknown, requestType: string): { text: string; dimensions?: number } | HttpAnswer {
  if (!isRecord(request) || !isRecord(request.content)) return missingFieldError(requestType, "content");
  const parts = Array.isArray(request.content.parts) ? request.content.parts.filter(isRecord) : [];
  const dimensions = request.outputDimensionality ?? request.output_dimensionality;
  return typeof dimensions === "number" ? { text: textOfParts(parts), dimensions } : { text: textOfParts(parts) };
}

function isError(value: object): value is HttpAnswer {
  return "status" in value;
}

/** The answer to `:embedContent`. */
export function answerEmbedContent(model: SimulatedModel, body: unknown): HttpAnswer {
  const request = readEmbedRequest(body, "EmbedContentRequest");
  if (isError(request)) return request;
  return { status: 200, body: { embedding: embed(model, request.text, request.dimensions) } };
}

/** The answer to `:batchEmbedContents`. */
export function answerBatchEmbedContents(model: SimulatedModel, body: unknown): HttpAnswer {
  if (!isRecord(body) || !Array.isArray(body.requests) || body.requests.length === 0) {
    return missingFieldError("BatchEmbedContentsRequest", "requests");
  }
  const embeddings: { values: number[] }[] = [];
  for (const [index, item] of body.requests.entries()) {
    if (isRecord(item) && typeof item.model === "string" && item.model.replace(/^models\//, "") !== model.id) {
      return googleError(
        400,
        `Model in request[${index}] (${item.model}) does not match the model in the URL (models/${model.id}).`,
      );
    }
    const request = readEmbedRequest(item, `BatchEmbedContentsRequest.requests[${index}]`);
    if (isError(request)) return request;
    embeddings.push(embed(model, request.text, request.dimensions));
  }
  return { status: 200, body: { embeddings } };
}

/** The answer to `:countTokens` (`contents` or `generateContentRequest`). */
export function answerCountTokens(body: unknown): HttpAnswer {
  const tokens = estimateTokens(promptText(body));
  return { status: 200, body: { totalTokens: tokens, promptTokensDetails: [{ modality: "TEXT", tokenCount: tokens }] } };
}
