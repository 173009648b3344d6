/**
 * The body of `POST /v1/responses` as gemrelay reads it
 * (https://platform.openai.com/docs/api-reference/responses/create). Fields with no Gemini
 * counterpart (`store`, `metadata`, `user`, `truncation`, `include`, `parallel_tool_calls`,
 * `service_tier`, `prompt_cache_key`, …) are accepted and ignored.
 */
import { z } from "zod";
import { reasoningEfforts, requiredOr } from "../openai/schema.ts";

const nullish = <Schema extends z.ZodType>(schema: Schema) => schema.nullish();

/** A content part of a message item. */
const contentPart = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("input_text"), text: z.string() }),
  z.looseObject({ type: z.literal("output_text"), text: z.string() }),
  z.looseObject({ type: z.literal("refusal"), refusal: z.string() }),
  z.looseObject({ type: z.literal("input_image"), image_url: nullish(z.string()), file_id: nullish(z.string()) }),
  z.looseObject({ type: z.literal("input_file"), file_data: nullish(z.string()), file_id: nullish(z.string()), filename: nullish(z.string()) }),
]);
export type ResponsesContentPart = z.infer<typeof contentPart>;

const messageItem = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(contentPart)]),
});

const functionCallItem = z.looseObject({ type: z.literal("function_call"), call_id: z.string().min(1), name: z.string().min(1), arguments: z.string() });

const functionCallOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(contentPart)]),
});

/** Replayed reasoning: its summary is never sent back to Gemini as thought text. */
const reasoningItem = z.looseObject({ type: z.literal("reasoning") });

/** One input item. A message may omit `type`, so it is told apart by its `role`. */
export const inputItemSchema = z.union([messageItem, functionCallItem, functionCallOutputItem, reasoningItem], {
  error: () => "unsupported input item; expected a message, function_call, function_call_output or reasoning item",
});
export type InputItem = z.infer<typeof inputItemSchema>;

/** A tool: functions are mapped, web_search becomes Gemini's googleSearch (gemini/search.ts); other types (local_shell, custom, …) are left out. */
const toolSchema = z.looseObject({
  type: z.string(),
  name: nullish(z.string()),
  description: nullish(z.string()),
  parameters: nullish(z.record(z.string(), z.unknown())),
  strict: nullish(z.boolean()),
});

const toolChoiceSchema = z.union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.literal("function"), name: z.string().min(1) })]);

const formatSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({ type: z.literal("json_schema"), name: z.string(), schema: z.record(z.string(), z.unknown()), description: nullish(z.string()), strict: nullish(z.boolean()) }),
]);

/** The create-response request. */
export const responsesRequestSchema = z.looseObject({
  model: z.string({ error: requiredOr("model is required") }).min(1, "model must not be empty"),
  input: z.union([z.string(), z.array(inputItemSchema)], { error: requiredOr("input is required: a string or an array of input items") }),
  instructions: nullish(z.string()),
  tools: nullish(z.array(toolSchema)),
  tool_choice: nullish(toolChoiceSchema),
  text: nullish(z.looseObject({ format: nullish(formatSchema) })),
  reasoning: nullish(z.looseObject({ effort: nullish(z.enum(reasoningEfforts)), summary: nullish(z.string()) })),
  max_output_tokens: nullish(z.number().int().positive()),
  temperature: nullish(z.number().min(0).max(2)),
  top_p: nullish(z.number().min(0).max(1)),
  stream: nullish(z.boolean()),
  previous_response_id: nullish(z.string()),
});
export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;
