/**
 * `POST /v1/completions`, the legacy text completions adapter (protocols/adapter.ts): the prompt
 * mapped through the chat mapping (request.ts) onto the one generate path, answered as a
 * `text_completion` or its chunk stream (answer.ts); errors in OpenAI's shape.
 */
import { readJsonBody } from "../openai/body.ts";
import type { ProtocolRequest } from "../protocols/adapter.ts";
import { answerGenerate } from "../protocols/generate.ts";
import { newTextCompletionMeta, textCompletionEncoder, toTextCompletion } from "./answer.ts";
import { completionRequestSchema, toCompletionGenerateRequest } from "./request.ts";

/** Answers one text completion request. */
export async function handleTextCompletion(input: ProtocolRequest): Promise<Response> {
  const { request, context } = input;
  const body = await readJsonBody(request, context.config.maxBodyBytes, completionRequestSchema);
  const mapped = await toCompletionGenerateRequest(body, context.config.openai, { fetch: context.imageFetch, bodyLimit: context.config.maxBodyBytes });
  const meta = newTextCompletionMeta(mapped.requestedModel, context.clock());
  return answerGenerate(input, mapped, {
    stream: () => textCompletionEncoder(meta, mapped.includeUsage),
    whole: (answer) => toTextCompletion(answer, meta),
  });
}
