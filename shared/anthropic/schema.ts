/**
 * The body of `POST /v1/messages` (and `count_tokens`) as gemrelay reads it
 * (https://docs.anthropic.com/en/api/messages). Fields gemrelay has no use for (`metadata`,
 * `cache_control`, `service_tier`, `container`, `context_management`, `output_config`, …) are
 * accepted and ignored.
 */
import { z } from "zod";

const textBlock = z.looseObject({ type: z.literal("text"), text: z.string() });

/** An image or PDF as base64, a URL, or (documents) plain text. */
const source = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("base64"), media_type: z.string().min(1), data: z.string().min(1) }),
  z.looseObject({ type: z.literal("url"), url: z.string().min(1) }),
  z.looseObject({ type: z.literal("text"), media_type: z.string().optional(), data: z.string() }),
]);

const imageBlock = z.looseObject({ type: z.literal("image"), source });
const documentBlock = z.looseObject({ type: z.literal("document"), source });

const toolUseBlock = z.looseObject({ type: z.literal("tool_use"), id: z.string().min(1), name: z.string().min(1), input: z.record(z.string(), z.unknown()).default({}) });

/** What a tool result may hold: text and images. */
const resultBlock = z.discriminatedUnion("type", [textBlock, imageBlock]);

const toolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(resultBlock)]).optional(),
  is_error: z.boolean().optional(),
});

const thinkingBlock = z.looseObject({ type: z.literal("thinking"), thinking: z.string(), signature: z.string().optional() });
const redactedThinkingBlock = z.looseObject({ type: z.literal("redacted_thinking"), data: z.string() });

const blockTypes = ["text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking"];

/** One content block of a message. */
export const contentBlockSchema = z.discriminatedUnion("type", [textBlock, imageBlock, documentBlock, toolUseBlock, toolResultBlock, thinkingBlock, redactedThinkingBlock], {
  error: (issue) => (issue.code === "invalid_union" ? `unsupported content block type; expected one of ${blockTypes.join(", ")}` : undefined),
});
export type ContentBlock = z.infer<typeof contentBlockSchema>;
export type ImageSource = z.infer<typeof source>;

/** `system` messages inside `messages`: Claude Code sends them (beta `mid-conversation-system`). */
const messageSchema = z.looseObject({
  role: z.enum(["user", "assistant", "system"], { message: "role must be user, assistant or system" }),
  content: z.union([z.string(), z.array(contentBlockSchema)]),
});
export type AnthropicMessage = z.infer<typeof messageSchema>;

/** A client tool; server tools (`web_search_…`, `bash_…`) carry a versioned `type` and no schema. */
const toolSchema = z.looseObject({
  type: z.string().optional(),
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
});
export type AnthropicTool = z.infer<typeof toolSchema>;

const toolChoiceSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("auto") }),
  z.looseObject({ type: z.literal("any") }),
  z.looseObject({ type: z.literal("none") }),
  z.looseObject({ type: z.literal("tool"), name: z.string().min(1) }),
]);

/** `enabled` with a budget, `disabled`, or `adaptive` (the model decides; Claude Code 2.x sends it). */
const thinkingSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("enabled"), budget_tokens: z.number().int().min(0) }),
  z.looseObject({ type: z.literal("disabled") }),
  z.looseObject({ type: z.literal("adaptive") }),
]);

/** The fields count_tokens and messages share. */
const common = {
  model: z.string({ message: "Field required" }).min(1),
  messages: z.array(messageSchema, { message: "Field required" }),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  thinking: thinkingSchema.optional(),
};

/** `POST /v1/messages`. */
export const messagesRequestSchema = z.looseObject({
  ...common,
  max_tokens: z.number({ message: "Field required" }).int().min(1),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
});
export type MessagesRequest = z.infer<typeof messagesRequestSchema>;

/** `POST /v1/messages/count_tokens`: no max_tokens, no sampling. */
export const countTokensRequestSchema = z.looseObject(common);
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;
