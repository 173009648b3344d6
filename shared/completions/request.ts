/**
 * The body of the legacy `POST /v1/completions` (https://platform.openai.com/docs/api-reference/completions/create)
 * and its mapping: the prompt becomes one user turn of a chat request, mapped by the chat
 * adapter's one mapping (openai/request.ts), so aliases, sampling, stop sequences and limits
 * work as on `/v1/chat/completions`. What a Gemini call cannot give (several choices, an
 * insertion `suffix`, echoed prompts, log probabilities) is refused with a 400 naming the field.
 */
import { z } from "zod";
import { OpenAiRequestError, requestErrorFromZod } from "../openai/errors.ts";
import { toGenerateRequest, type ImageFetching, type MappedChatRequest } from "../openai/request.ts";
import { chatRequestSchema, requiredOr } from "../openai/schema.ts";
import type { OpenAiConfig } from "../openai/config.ts";

const nullish = <Schema extends z.ZodType>(schema: Schema) => schema.nullish();

/** The request; fields gemrelay does not use (`user`, `seed`, `logit_bias`, …) are accepted and ignored. */
export const completionRequestSchema = z.looseObject({
  model: z.string({ error: requiredOr("model is required: the Gemini model id (or an alias)") }).min(1, "model must not be empty"),
  prompt: z.union([z.string(), z.array(z.string()).min(1, "prompt must not be an empty array")], {
    error: requiredOr("prompt is required: a string (or an array of one string)"),
  }),
  max_tokens: nullish(z.number().int().positive()),
  temperature: nullish(z.number().min(0).max(2)),
  top_p: nullish(z.number().min(0).max(1)),
  stop: nullish(z.union([z.string(), z.array(z.string()).max(5)])),
  stream: nullish(z.boolean()),
  stream_options: nullish(z.looseObject({ include_usage: nullish(z.boolean()) })),
  n: nullish(z.number().int().positive()),
  best_of: nullish(z.number().int().positive()),
  suffix: nullish(z.string()),
  echo: nullish(z.boolean()),
  logprobs: nullish(z.number().int().min(0)),
  presence_penalty: nullish(z.number().min(-2).max(2)),
  frequency_penalty: nullish(z.number().min(-2).max(2)),
  seed: nullish(z.number().int()),
});
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

function unsupported(param: string, message: string): OpenAiRequestError {
  return new OpenAiRequestError(`'${param}' ${message}`, param, "unsupported_value");
}

/** The one prompt of the request; refuses what one Gemini call cannot answer. */
function promptOf(request: CompletionRequest): string {
  if ((request.n ?? 1) !== 1) throw unsupported("n", "must be 1: gemrelay answers one choice per request.");
  if ((request.best_of ?? 1) !== 1) throw unsupported("best_of", "must be 1: gemrelay answers one choice per request.");
  if (request.suffix) throw unsupported("suffix", "is not supported: Gemini has no insertion (fill-in-the-middle) mode.");
  if (request.echo === true) throw unsupported("echo", "is not supported by gemrelay.");
  if (request.logprobs !== null && request.logprobs !== undefined) throw unsupported("logprobs", "is not supported by gemrelay.");
  if (typeof request.prompt === "string") return request.prompt;
  // An array is a batch (one choice per prompt); only a batch of one fits one generate call.
  if (request.prompt.length > 1) throw unsupported("prompt", "must be a string or an array of one string: gemrelay answers one prompt per request.");
  return request.prompt[0] ?? "";
}

/** Maps a validated completion request onto the generate request, through the chat mapping. */
export async function toCompletionGenerateRequest(request: CompletionRequest, config: OpenAiConfig, images: ImageFetching): Promise<MappedChatRequest> {
  const chat: Record<string, unknown> = {
    model: request.model,
    messages: [{ role: "user", content: promptOf(request) }],
    stream: request.stream === true,
  };
  for (const field of ["max_tokens", "temperature", "top_p", "stop", "stream_options", "presence_penalty", "frequency_penalty", "seed"] as const) {
    const value = request[field];
    if (value !== null && value !== undefined) chat[field] = value;
  }
  const parsed = chatRequestSchema.safeParse(chat);
  if (!parsed.success) throw requestErrorFromZod(parsed.error);
  return toGenerateRequest(parsed.data, config, images);
}
