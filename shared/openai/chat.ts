/**
 * `POST /v1/chat/completions`, the OpenAI chat adapter: the request validated and mapped onto
 * one generate request, answered on the one generate path (protocols/generate.ts) so that
 * routing, failover and resume apply exactly as on the native path; the events come back as a
 * chat completion or its stream.
 */
import type { ProtocolRequest } from "../protocols/adapter.ts";
import { answerGenerate } from "../protocols/generate.ts";
import { readJsonBody } from "./body.ts";
import { newCompletionMeta } from "./completion.ts";
import { toGenerateRequest } from "./request.ts";
import { toChatCompletion } from "./response.ts";
import { chatRequestSchema } from "./schema.ts";
import { chatChunkEncoder } from "./stream.ts";

/** Answers one chat completion request. */
export async function handleChat(input: ProtocolRequest): Promise<Response> {
  const { request, context } = input;
  const settings = context.config.openai;
  const body = await readJsonBody(request, context.config.maxBodyBytes, chatRequestSchema);
  const mapped = await toGenerateRequest(body, settings, { fetch: context.imageFetch, bodyLimit: context.config.maxBodyBytes });
  const meta = newCompletionMeta(mapped.requestedModel, settings.thinkTags, context.clock());
  return answerGenerate(input, mapped, {
    stream: () => chatChunkEncoder(meta, mapped.includeUsage),
    whole: (answer) => toChatCompletion(answer, meta),
  });
}
