/**
 * The simulated model catalogue, in the shape of `GET /v1beta/models` (a `Model` resource per
 * entry, `nextPageToken` when a page is full).
 */
import { isRecord } from "./json.ts";

/** What the simulator needs to know about a model besides its public resource. */
export interface SimulatedModel {
  id: string;
  displayName: string;
  description: string;
  version: string;
  inputTokenLimit: number;
  outputTokenLimit: number;
  supportedGenerationMethods: string[];
  /** Generative models that think; undefined for embedding models. */
  thinking?: { byDefault: boolean; canDisable: boolean };
  /** Embedding models: the default (and largest) vector size. */
  embeddingDimensions?: number;
}

const generativeMethods = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"];

/** The models the simulator knows. */
export const models: readonly SimulatedModel[] = [
  {
    id: "gemini-2.5-flash",
    displayName: "Gemini 2.5 Flash",
    description: "Stable version of Gemini 2.5 Flash, our mid-size multimodal model that supports up to 1 million tokens, released in June of 2025.",
    version: "001",
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: generativeMethods,
    thinking: { byDefault: true, canDisable: true },
  },
  {
    id: "gemini-2.5-pro",
    displayName: "Gemini 2.5 Pro",
    description: "Stable release (June 17th, 2025) of Gemini 2.5 Pro",
    version: "2.5",
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: generativeMethods,
    thinking: { byDefault: true, canDisable: false },
  },
  {
    id: "gemini-2.5-flash-lite",
    displayName: "Gemini 2.5 Flash-Lite",
    description: "Stable version of Gemini 2.5 Flash-Lite, released in July of 2025",
    version: "001",
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: generativeMethods,
    thinking: { byDefault: false, canDisable: true },
  },
  {
    id: "gemini-3-pro-preview",
    displayName: "Gemini 3 Pro Preview",
    description: "Gemini 3 Pro Preview",
    version: "3-pro-preview-11-2025",
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: generativeMethods,
    thinking: { byDefault: true, canDisable: false },
  },
  {
    id: "gemini-2.5-flash-image",
    displayName: "Nano Banana",
    description: "Gemini 2.5 Flash Image",
    version: "2.0",
    inputTokenLimit: 32_768,
    outputTokenLimit: 32_768,
    supportedGenerationMethods: ["generateContent", "countTokens", "batchGenerateContent"],
    thinking: { byDefault: false, canDisable: true },
  },
  {
    id: "gemini-2.5-flash-preview-tts",
    displayName: "Gemini 2.5 Flash Preview TTS",
    description: "Gemini 2.5 Flash Preview TTS",
    version: "gemini-2.5-flash-exp-tts-2025-05-19",
    inputTokenLimit: 8192,
    outputTokenLimit: 16_384,
    supportedGenerationMethods: ["countTokens", "generateContent"],
    thinking: { byDefault: false, canDisable: true },
  },
  {
    id: "gemini-embedding-001",
    displayName: "Gemini Embedding 001",
    description: "Obtain a distributed representation of a text.",
    version: "001",
    inputTokenLimit: 2048,
    outputTokenLimit: 1,
    supportedGenerationMethods: ["embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"],
    embeddingDimensions: 3072,
  },
  {
    id: "text-embedding-004",
    displayName: "Text Embedding 004",
    description: "Obtain a distributed representation of a text.",
    version: "004",
    inputTokenLimit: 2048,
    outputTokenLimit: 1,
    supportedGenerationMethods: ["embedContent"],
    embeddingDimensions: 768,
  },
];

/** The model named `id` (with or without `models/`), or undefined. */
export function findModel(id: string): SimulatedModel | undefined {
  const bare = stripModelsPrefix(id);
  return models.find((model) => model.id === bare);
}

/** `models/gemini-2.5-flash` → `gemini-2.5-flash`. */
export function stripModelsPrefix(id: string): string {
  return id.startsWith("models/") ? id.slice("models/".length) : id;
}

/** Whether the model is a Gemini 3 model (terminal empty-text part with thoughtSignature). */
export function isGemini3(id: string): boolean {
  return stripModelsPrefix(id).startsWith("gemini-3");
}

/** Whether a model can answer generateContent / streamGenerateContent. */
export function isGenerative(model: SimulatedModel): boolean {
  return model.thinking !== undefined;
}

/** The public `Model` resource. */
export function modelResource(model: SimulatedModel): Record<string, unknown> {
  const resource: Record<string, unknown> = {
    name: `models/${model.id}`,
    version: model.version,
    displayName: model.displayName,
    description: model.description,
    inputTokenLimit: model.inputTokenLimit,
    outputTokenLimit: model.outputTokenLimit,
    supportedGenerationMethods: model.supportedGenerationMethods,
  };
  if (model.thinking) {
    Object.assign(resource, { temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2, thinking: true });
  }
  return resource;
}

const defaultPageSize = 50;
const maxPageSize = 1000;

/** One page of `models.list`; the page token is the base64 offset of the next page. */
export function listModelsPage(query: Record<string, string>): Record<string, unknown> {
  const requested = Number.parseInt(query.pageSize ?? "", 10);
  const pageSize = Number.isFinite(requested) && requested > 0 ? Math.min(requested, maxPageSize) : defaultPageSize;
  const offset = decodePageToken(query.pageToken);
  const page = models.slice(offset, offset + pageSize).map(modelResource);
  const body: Record<string, unknown> = { models: page };
  if (offset + pageSize < models.length) body.nextPageToken = encodePageToken(offset + pageSize);
  return body;
}

function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString("base64url");
}

function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (isRecord(parsed) && typeof parsed.offset === "number" && parsed.offset >= 0) return parsed.offset;
  } catch {
    // An unreadable token restarts the listing, like an expired one.
  }
  return 0;
}
