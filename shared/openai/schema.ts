/**
 * The body of `POST /v1/chat/completions` as gemrelay reads it
 * (https://platform.openai.com/docs/api-reference/chat/create). Every optional field also
 * accepts `null`, which many clients send for "unset". Fields gemrelay does not use (user,
 * metadata, store, logit_bias, …) are accepted and ignored, as clients send them freely.
 */
import { z } from "zod";

const nullish = <Schema extends z.ZodType>(schema: Schema) => schema.nullish();

/** An error message for a missing field; other problems keep zod's own message (e.g. "expected array"). */
export function requiredOr(message: string): (issue: { input: unknown }) => string | undefined {
  return (issue) => (issue.input === undefined ? message : undefined);
}

/** The discriminating field of an object zod could not match, for the error message (zod hands over the whole object). */
function discriminator(input: unknown, field: string): string {
  const value: unknown = typeof input === "object" && input !== null ? Reflect.get(input, field) : input;
  return value === undefined ? "(missing)" : JSON.stringify(value);
}

/** `{"type": "text", "text": …}` */
const textPart = z.looseObject({ type: z.literal("text"), text: z.string() });

/** `{"type": "image_url", "image_url": {"url": …}}`; a bare string URL is accepted too (older clients). */
const imagePart = z.looseObject({
  type: z.literal("image_url"),
  image_url: z.union([z.string(), z.looseObject({ url: z.string(), detail: nullish(z.string()) })]),
});

/** `{"type": "input_audio", "input_audio": {"data": base64, "format": "wav" | "mp3" | …}}` */
const audioPart = z.looseObject({
  type: z.literal("input_audio"),
  input_audio: z.looseObject({ data: z.string(), format: z.string() }),
});

/** `{"type": "file", "file": {"file_data": "data:application/pdf;base64,…", "filename": …}}` */
const filePart = z.looseObject({
  type: z.literal("file"),
  file: z.looseObject({ file_data: nullish(z.string()), file_id: nullish(z.string()), filename: nullish(z.string()) }),
});

/** An assistant's refusal, replayed in history. */
const refusalPart = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });

const partTypes = ["text", "image_url", "input_audio", "file", "refusal"];

/** Any content part of a message. */
export const contentPartSchema = z.discriminatedUnion("type", [textPart, imagePart, audioPart, filePart, refusalPart], {
  error: (issue) => (issue.code === "invalid_union" ? `unsupported content part type ${discriminator(issue.input, "type")}; expected one of ${partTypes.join(", ")}` : undefined),
});
export type ContentPart = z.infer<typeof contentPartSchema>;

const content = z.union([z.string(), z.array(contentPartSchema)]);

/** A tool call an assistant made, replayed in history (maybe carrying Google's thought signature). */
export const toolCallSchema = z.looseObject({
  id: z.string(),
  type: z.literal("function").optional(),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
  extra_content: nullish(z.looseObject({ google: nullish(z.looseObject({ thought_signature: nullish(z.string()) })) })),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

const systemMessage = z.looseObject({ role: z.literal("system"), content, name: nullish(z.string()) });
const developerMessage = z.looseObject({ role: z.literal("developer"), content, name: nullish(z.string()) });
const userMessage = z.looseObject({ role: z.literal("user"), content, name: nullish(z.string()) });
const assistantMessage = z.looseObject({
  role: z.literal("assistant"),
  content: nullish(content),
  name: nullish(z.string()),
  tool_calls: nullish(z.array(toolCallSchema)),
  /** Deprecated single call of the `functions` API. */
  function_call: nullish(z.looseObject({ name: z.string().min(1), arguments: z.string() })),
});
const toolMessage = z.looseObject({ role: z.literal("tool"), content, tool_call_id: z.string() });
/** Deprecated result of the `functions` API. */
const functionMessage = z.looseObject({ role: z.literal("function"), content: nullish(z.string()), name: z.string().min(1) });

const roles = ["system", "developer", "user", "assistant", "tool", "function"];

/** One message of the conversation. */
export const messageSchema = z.discriminatedUnion("role", [systemMessage, developerMessage, userMessage, assistantMessage, toolMessage, functionMessage], {
  error: (issue) =>
    issue.code === "invalid_union" ? `unknown role ${discriminator(issue.input, "role")}; expected one of ${roles.join(", ")}` : undefined,
});
export type Message = z.infer<typeof messageSchema>;

/** A function the model may call. */
export const toolSchema = z.looseObject({
  type: z.literal("function", { error: (issue) => `unsupported tool type ${JSON.stringify(issue.input)}; only "function" tools are supported` }),
  function: z.looseObject({
    name: z.string().min(1),
    description: nullish(z.string()),
    parameters: nullish(z.record(z.string(), z.unknown())),
    strict: nullish(z.boolean()),
  }),
});
export type Tool = z.infer<typeof toolSchema>;

const toolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string().min(1) }) }),
]);

const responseFormatSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z.string(),
      description: nullish(z.string()),
      schema: nullish(z.record(z.string(), z.unknown())),
      strict: nullish(z.boolean()),
    }),
  }),
]);

/** Google's extension block, as its compatibility layer documents it (`extra_body.google`). */
export const googleExtensionSchema = z.looseObject({
  thinking_config: nullish(
    z.looseObject({
      thinking_budget: nullish(z.number().int()),
      thinkingBudget: nullish(z.number().int()),
      thinking_level: nullish(z.string()),
      thinkingLevel: nullish(z.string()),
      include_thoughts: nullish(z.boolean()),
      includeThoughts: nullish(z.boolean()),
    }),
  ),
  cached_content: nullish(z.string()),
  safety_settings: nullish(z.array(z.unknown())),
});
export type GoogleExtension = z.infer<typeof googleExtensionSchema>;

/** Reasoning effort levels clients send (OpenAI's, plus `none` as Google documents it). */
export const reasoningEfforts = ["none", "minimal", "low", "medium", "high", "xhigh"] as const;
export type ReasoningEffort = (typeof reasoningEfforts)[number];

/** The chat completion request. */
export const chatRequestSchema = z.looseObject({
  model: z.string({ error: requiredOr("model is required: the Gemini model id (or an alias from OPENAI_MODEL_ALIASES)") }).min(1, "model must not be empty"),
  messages: z.array(messageSchema, { error: requiredOr("messages is required: an array of messages") }).min(1, "messages must contain at least one message"),
  stream: nullish(z.boolean()),
  stream_options: nullish(z.looseObject({ include_usage: nullish(z.boolean()) })),
  max_tokens: nullish(z.number().int().positive()),
  max_completion_tokens: nullish(z.number().int().positive()),
  temperature: nullish(z.number().min(0).max(2)),
  top_p: nullish(z.number().min(0).max(1)),
  stop: nullish(z.union([z.string(), z.array(z.string()).max(5)])),
  seed: nullish(z.number().int()),
  n: nullish(z.number().int().positive()),
  presence_penalty: nullish(z.number().min(-2).max(2)),
  frequency_penalty: nullish(z.number().min(-2).max(2)),
  tools: nullish(z.array(toolSchema)),
  tool_choice: nullish(toolChoiceSchema),
  parallel_tool_calls: nullish(z.boolean()),
  response_format: nullish(responseFormatSchema),
  reasoning_effort: nullish(z.enum(reasoningEfforts)),
  extra_body: nullish(z.looseObject({ google: nullish(googleExtensionSchema) })),
  /** Where the Python SDK's `extra_body={"google": …}` lands on the wire. */
  google: nullish(googleExtensionSchema),
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;
