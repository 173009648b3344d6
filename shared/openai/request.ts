/**
 * A chat completion request → the Gemini generate request that carries it (REFERENCE.md §7):
 * conversation, tools and tool choice, output format, sampling, limits and thinking.
 */
import { modelNameProblem } from "../gemini/paths.ts";
import type { GenerateContentRequest } from "../gemini/types.ts";
import type { OpenAiConfig } from "./config.ts";
import { OpenAiRequestError } from "./errors.ts";
import { toGeminiJsonSchema } from "./json-schema.ts";
import { toConversation } from "./messages.ts";
import { fetchRemoteImages, type RemoteImage } from "./remote-image.ts";
import type { ChatRequest } from "./schema.ts";
import { thinkingConfigOf } from "./thinking.ts";

/** The request in Gemini's terms plus what shapes the answer. */
export interface MappedChatRequest {
  /** Gemini model id (alias resolved, no `models/`). */
  model: string;
  /** The model as the client named it; answers carry this name. */
  requestedModel: string;
  body: GenerateContentRequest;
  stream: boolean;
  /** `stream_options.include_usage`: a usage chunk with `choices: []` before `[DONE]`. */
  includeUsage: boolean;
}

/** How remote images are fetched for one request. */
export interface ImageFetching {
  /** The platform's fetch for remote images (the self-host's refuses internal addresses). */
  fetch: typeof fetch;
  /** Largest upstream body (MAX_BODY_BYTES): the fetched images never make the body larger. */
  bodyLimit: number;
}

/** Room kept free for what the generate path may add to the body (a model policy's instructions). */
const headroomBytes = 16 * 1024;

/** Bytes of `value` as the JSON the upstream request will carry. */
function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).byteLength;
}

/**
 * Fetches the remote images a mapped `body` left empty into their parts; measured with the
 * images still empty, so what is left of MAX_BODY_BYTES is all they may take.
 */
export async function fillRemoteImages(body: GenerateContentRequest, remoteImages: readonly RemoteImage[], images: ImageFetching): Promise<void> {
  if (remoteImages.length > 0) await fetchRemoteImages(remoteImages, images.bodyLimit - headroomBytes - jsonBytes(body), images.bodyLimit, images.fetch);
}

/** The Gemini model for a client's model name: alias first, `models/` prefix dropped; a 400 when it is no model id. */
export function resolveModel(name: string, config: OpenAiConfig): string {
  const bare = name.replace(/^models\//, "");
  const model = config.modelAliases.get(bare) ?? config.modelAliases.get(name) ?? bare;
  const problem = modelNameProblem(model);
  if (problem !== null) throw new OpenAiRequestError(problem, "model", "invalid_value");
  return model;
}

function toolsOf(request: ChatRequest): Pick<GenerateContentRequest, "tools" | "toolConfig"> {
  const tools = request.tools ?? [];
  const choice = request.tool_choice;
  if (tools.length === 0) {
    if (choice === "required" || (typeof choice === "object" && choice !== null)) {
      throw new OpenAiRequestError("'tool_choice' requires 'tools' to name at least one function.", "tool_choice", "invalid_value");
    }
    return {};
  }
  const names = new Set(tools.map((tool) => tool.function.name));
  const functionDeclarations = tools.map((tool) => {
    const declaration: Record<string, unknown> = { name: tool.function.name };
    if (tool.function.description) declaration.description = tool.function.description;
    // `strict` has no Gemini counterpart; the schema keeps only what Gemini accepts.
    if (tool.function.parameters) declaration.parametersJsonSchema = toGeminiJsonSchema(tool.function.parameters);
    return declaration;
  });
  const mapped: Pick<GenerateContentRequest, "tools" | "toolConfig"> = { tools: [{ functionDeclarations }] };
  if (choice === "none") mapped.toolConfig = { functionCallingConfig: { mode: "NONE" } };
  else if (choice === "auto") mapped.toolConfig = { functionCallingConfig: { mode: "AUTO" } };
  else if (choice === "required") mapped.toolConfig = { functionCallingConfig: { mode: "ANY" } };
  else if (choice) {
    if (!names.has(choice.function.name)) {
      throw new OpenAiRequestError(`'tool_choice.function.name' (${choice.function.name}) is not one of the tools.`, "tool_choice.function.name", "invalid_value");
    }
    mapped.toolConfig = { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.function.name] } };
  }
  return mapped;
}

function generationConfigOf(request: ChatRequest, model: string): Record<string, unknown> {
  if ((request.n ?? 1) > 1) {
    // Resume, seam stitching and the one-choice stream all assume a single candidate.
    throw new OpenAiRequestError("'n' greater than 1 is not supported by gemrelay; send one request per completion.", "n", "unsupported_value");
  }
  const config: Record<string, unknown> = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens !== null && maxTokens !== undefined) config.maxOutputTokens = maxTokens;
  if (request.temperature !== null && request.temperature !== undefined) config.temperature = request.temperature;
  if (request.top_p !== null && request.top_p !== undefined) config.topP = request.top_p;
  if (request.stop !== null && request.stop !== undefined) config.stopSequences = typeof request.stop === "string" ? [request.stop] : request.stop;
  if (request.seed !== null && request.seed !== undefined) config.seed = request.seed;
  if (request.presence_penalty !== null && request.presence_penalty !== undefined) config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty !== null && request.frequency_penalty !== undefined) config.frequencyPenalty = request.frequency_penalty;
  const format = request.response_format;
  if (format?.type === "json_object") config.responseMimeType = "application/json";
  if (format?.type === "json_schema") {
    config.responseMimeType = "application/json";
    if (format.json_schema.schema) config.responseJsonSchema = toGeminiJsonSchema(format.json_schema.schema);
  }
  const google = request.extra_body?.google ?? request.google;
  const thinking = thinkingConfigOf(model, request.reasoning_effort, google);
  if (thinking) config.thinkingConfig = thinking;
  return config;
}

/**
 * Maps a validated chat request. Throws a 400 (naming the field) for what Gemini cannot take;
 * fetches allow-listed remote images (hence async).
 */
export async function toGenerateRequest(request: ChatRequest, config: OpenAiConfig, images: ImageFetching): Promise<MappedChatRequest> {
  const model = resolveModel(request.model, config);
  const remoteImages: RemoteImage[] = [];
  const conversation = toConversation(request.messages, { imageHosts: config.imageHosts, remoteImages });
  const body: GenerateContentRequest = { ...conversation, ...toolsOf(request) };
  const generationConfig = generationConfigOf(request, model);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  const google = request.extra_body?.google ?? request.google;
  if (google?.cached_content) body.cachedContent = google.cached_content;
  if (google?.safety_settings) body.safetySettings = google.safety_settings;
  await fillRemoteImages(body, remoteImages, images);
  return {
    model,
    requestedModel: request.model,
    body,
    stream: request.stream === true,
    includeUsage: request.stream === true && request.stream_options?.include_usage === true,
  };
}
