/**
 * An Anthropic Messages request → the Gemini generate request that carries it: system, the
 * conversation (text, images, documents, tool use and results, thinking signatures), tools and
 * tool choice, sampling, limits and thinking.
 */
import { BadRequestError } from "../errors.ts";
import { modelNameProblem } from "../gemini/paths.ts";
import { addGoogleSearch, isWebSearchTool } from "../gemini/search.ts";
import type { Content, GenerateContentRequest, Part } from "../gemini/types.ts";
import { toGeminiJsonSchema } from "../openai/json-schema.ts";
import { functionResponseOf, pushTurn } from "../openai/messages.ts";
import { checkRemoteImageUrl, type RemoteImage } from "../openai/remote-image.ts";
import { fillRemoteImages, type ImageFetching } from "../openai/request.ts";
import { signatureFromToolCallId } from "../openai/signature.ts";
import type { MappedGenerate } from "../protocols/adapter.ts";
import type { AnthropicMessage, AnthropicTool, ContentBlock, CountTokensRequest, ImageSource, MessagesRequest } from "./schema.ts";

/** Gemini's largest thinking budget on every 2.5 model (Flash tops out here; asking for more is a 400). */
const largestThinkingBudget = 24_576;

/** How Claude Code's billing block starts. */
const billingMarker = "x-anthropic-billing-header:";

/** What mapping blocks needs besides the blocks. */
interface BlockContext {
  imageHosts: readonly string[];
  remoteImages: RemoteImage[];
  /** tool_use id → tool name, for the tool_result blocks that answer them. */
  toolNames: Map<string, string>;
}

/** An image or document source as a Gemini part (remote URLs collected for fetching). */
function sourcePart(source: ImageSource, field: string, context: BlockContext): Part {
  if (source.type === "base64") return { inlineData: { mimeType: source.media_type.toLowerCase(), data: source.data.replace(/\s+/g, "") } };
  if (source.type === "text") return { text: source.data };
  const pending = { inlineData: { mimeType: "", data: "" } };
  context.remoteImages.push({ url: checkRemoteImageUrl(source.url, context.imageHosts, `${field}.source.url`), param: `${field}.source.url`, part: pending });
  return pending;
}

/** A tool_result's content: its text (joined) and any images as parts of their own. */
function toolResultParts(block: Extract<ContentBlock, { type: "tool_result" }>, field: string, context: BlockContext): Part[] {
  const name = context.toolNames.get(block.tool_use_id);
  if (name === undefined) throw new BadRequestError(`${field}.tool_use_id: ${JSON.stringify(block.tool_use_id)} does not match a tool_use block of an earlier assistant message.`);
  const content = typeof block.content === "string" ? [{ type: "text" as const, text: block.content }] : (block.content ?? []);
  const text = content.map((item) => (item.type === "text" ? item.text : "")).join("");
  const media = content.flatMap((item, index) => (item.type === "image" ? [sourcePart(item.source, `${field}.content[${index}]`, context)] : []));
  const response = block.is_error === true ? { error: text } : functionResponseOf(text);
  return [{ functionResponse: { name, response } }, ...media];
}

/** One message's blocks as Gemini parts; thinking text is never sent back, only its signature. */
function partsOf(message: AnthropicMessage, field: string, context: BlockContext): Part[] {
  if (typeof message.content === "string") return message.content.length > 0 ? [{ text: message.content }] : [];
  const parts: Part[] = [];
  // A thinking block's signature belongs to the part after it (the one Gemini sent it on).
  let signature: string | undefined;
  const push = (part: Part) => {
    if (signature !== undefined && part.thoughtSignature === undefined && (part.text !== undefined || part.functionCall !== undefined)) part.thoughtSignature = signature;
    signature = undefined;
    parts.push(part);
  };
  for (const [index, block] of message.content.entries()) {
    const here = `${field}.content[${index}]`;
    switch (block.type) {
      case "text":
        if (block.text.length > 0) push({ text: block.text });
        break;
      case "image":
      case "document":
        push(sourcePart(block.source, here, context));
        break;
      case "tool_use": {
        if (message.role !== "assistant") throw new BadRequestError(`${here}: tool_use blocks belong in assistant messages.`);
        context.toolNames.set(block.id, block.name);
        const part: Part = { functionCall: { name: block.name, args: block.input } };
        const carried = signatureFromToolCallId(block.id);
        if (carried) part.thoughtSignature = carried;
        push(part);
        break;
      }
      case "tool_result":
        if (message.role !== "user") throw new BadRequestError(`${here}: tool_result blocks belong in user messages.`);
        for (const part of toolResultParts(block, here, context)) push(part);
        break;
      case "thinking":
        if (message.role === "assistant" && block.signature) signature = block.signature;
        break;
      case "redacted_thinking":
        break;
    }
  }
  return parts;
}

/** The texts of a system message (only text blocks belong there). */
function textOf(message: AnthropicMessage, field: string): string[] {
  if (typeof message.content === "string") return message.content.length > 0 ? [message.content] : [];
  return message.content.flatMap((block, index) => {
    if (block.type !== "text") throw new BadRequestError(`${field}.content[${index}]: system messages hold text blocks only.`);
    return block.text.length > 0 ? [block.text] : [];
  });
}

/** The system prompt as Gemini's system instruction. */
function systemOf(system: MessagesRequest["system"]): Content | undefined {
  if (system === undefined) return undefined;
  const parts = typeof system === "string" ? [{ text: system }] : system.map((block) => ({ text: block.text }));
  // Claude Code's first system block is a billing marker for Anthropic that changes with each
  // version; left out, the prompt's stable prefix stays cacheable upstream.
  const filled = parts.filter((part) => part.text.length > 0 && !part.text.startsWith(billingMarker));
  return filled.length > 0 ? { parts: filled } : undefined;
}

/** Client tools as function declarations; server tools (a versioned `type`, no schema) are left out here (web search is added by gemini/search.ts). */
function toolsOf(tools: readonly AnthropicTool[] | undefined, choice: MessagesRequest["tool_choice"]): Pick<GenerateContentRequest, "tools" | "toolConfig"> {
  const declared = (tools ?? []).filter((tool) => tool.type === undefined || tool.type === "custom" || tool.input_schema !== undefined);
  if (declared.length === 0) {
    if (choice?.type === "any" || choice?.type === "tool") throw new BadRequestError("tool_choice: requires tools to name at least one tool.");
    return {};
  }
  const functionDeclarations = declared.map((tool) => {
    const declaration: Record<string, unknown> = { name: tool.name };
    if (tool.description) declaration.description = tool.description;
    if (tool.input_schema) declaration.parametersJsonSchema = toGeminiJsonSchema(tool.input_schema);
    return declaration;
  });
  const mapped: Pick<GenerateContentRequest, "tools" | "toolConfig"> = { tools: [{ functionDeclarations }] };
  if (choice?.type === "auto") mapped.toolConfig = { functionCallingConfig: { mode: "AUTO" } };
  if (choice?.type === "any") mapped.toolConfig = { functionCallingConfig: { mode: "ANY" } };
  if (choice?.type === "none") mapped.toolConfig = { functionCallingConfig: { mode: "NONE" } };
  if (choice?.type === "tool") {
    if (!declared.some((tool) => tool.name === choice.name)) throw new BadRequestError(`tool_choice.name: ${JSON.stringify(choice.name)} is not one of the tools.`);
    mapped.toolConfig = { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.name] } };
  }
  return mapped;
}

/** The conversation, system, tools and thinking: what messages and count_tokens share. */
async function conversationOf(request: CountTokensRequest, imageHosts: readonly string[], images: ImageFetching): Promise<GenerateContentRequest> {
  const problem = modelNameProblem(request.model.replace(/^models\//, ""));
  if (problem !== null) throw new BadRequestError(`model: ${problem}`);
  const context: BlockContext = { imageHosts, remoteImages: [], toolNames: new Map() };
  const contents: Content[] = [];
  const system = systemOf(request.system)?.parts ?? [];
  for (const [index, message] of request.messages.entries()) {
    const field = `messages[${index}]`;
    // Gemini has one system instruction: a system message met on the way joins it.
    if (message.role === "system") system.push(...textOf(message, field).map((text) => ({ text })));
    else pushTurn(contents, message.role === "assistant" ? "model" : "user", partsOf(message, field, context));
  }
  if (contents.length === 0) throw new BadRequestError("messages: at least one message with content is required.");
  const body: GenerateContentRequest = { contents, ...toolsOf(request.tools, request.tool_choice) };
  if ((request.tools ?? []).some((tool) => isWebSearchTool(tool.type))) addGoogleSearch(body, request.model);
  if (system.length > 0) body.systemInstruction = { parts: system };
  await fillRemoteImages(body, context.remoteImages, images);
  return body;
}

/** The generation settings of a Messages request. */
function generationConfigOf(request: MessagesRequest): Record<string, unknown> {
  const config: Record<string, unknown> = { maxOutputTokens: request.max_tokens };
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.top_p !== undefined) config.topP = request.top_p;
  if (request.top_k !== undefined) config.topK = request.top_k;
  if (request.stop_sequences !== undefined && request.stop_sequences.length > 0) config.stopSequences = request.stop_sequences;
  // Extended thinking: the budget as Gemini's (capped at what every 2.5 model takes), thoughts shown.
  if (request.thinking?.type === "enabled") config.thinkingConfig = { thinkingBudget: Math.min(request.thinking.budget_tokens, largestThinkingBudget), includeThoughts: true };
  // Adaptive: the model's own dynamic thinking, shown.
  if (request.thinking?.type === "adaptive") config.thinkingConfig = { includeThoughts: true };
  return config;
}

/** Maps a validated Messages request (fetching allow-listed remote images, hence async). */
export async function toGenerateRequest(request: MessagesRequest, imageHosts: readonly string[], images: ImageFetching): Promise<MappedGenerate> {
  const body = await conversationOf(request, imageHosts, images);
  body.generationConfig = generationConfigOf(request);
  return { model: request.model.replace(/^models\//, ""), body, stream: request.stream === true };
}

/** Maps a count_tokens request: the same conversation, for Gemini's countTokens. */
export async function toCountRequest(request: CountTokensRequest, imageHosts: readonly string[], images: ImageFetching): Promise<{ model: string; body: GenerateContentRequest }> {
  return { model: request.model.replace(/^models\//, ""), body: await conversationOf(request, imageHosts, images) };
}
