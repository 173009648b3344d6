/**
 * `POST /v1/messages` and `POST /v1/messages/count_tokens`, the Anthropic adapter: the request
 * mapped onto one generate request and answered on the one generate path
 * (protocols/generate.ts), so routing, failover, resume and the model policy apply as on every
 * other front door; count_tokens asks Gemini's countTokens.
 */
import { GemrelayError } from "../errors.ts";
import { upstreamJson } from "../openai/upstream.ts";
import { admitModel } from "../policy/model-requests.ts";
import type { ProtocolRequest } from "../protocols/adapter.ts";
import { answerGenerate } from "../protocols/generate.ts";
import { newMessageMeta } from "./answer.ts";
import { readAnthropicBody } from "./body.ts";
import { toCountRequest, toGenerateRequest } from "./request.ts";
import { toAnthropicMessage } from "./response.ts";
import { countTokensRequestSchema, messagesRequestSchema } from "./schema.ts";
import { messageEventEncoder } from "./stream.ts";

/** Answers one Messages request. */
export async function handleMessages(input: ProtocolRequest): Promise<Response> {
  const { request, context } = input;
  const body = await readAnthropicBody(request, context.config.maxBodyBytes, messagesRequestSchema);
  const mapped = await toGenerateRequest(body, context.config.openai.imageHosts, { fetch: context.imageFetch, bodyLimit: context.config.maxBodyBytes });
  const meta = newMessageMeta(body.model);
  return answerGenerate(input, mapped, {
    stream: () => messageEventEncoder(meta),
    whole: (answer) => toAnthropicMessage(answer, meta),
  });
}

/** Answers one count_tokens request with Gemini's count for the same conversation. */
export async function handleCountTokens(input: ProtocolRequest): Promise<Response> {
  const { request, identity, context, background } = input;
  const body = await readAnthropicBody(request, context.config.maxBodyBytes, countTokensRequestSchema);
  const mapped = await toCountRequest(body, context.config.openai.imageHosts, { fetch: context.imageFetch, bodyLimit: context.config.maxBodyBytes });
  // The model policy as on every path: a disabled model is a 404, an alias is resolved.
  const model = admitModel(await context.policies.models.current(), mapped.model);
  const answer = await upstreamJson(
    {
      method: "POST",
      model,
      pathAndQuery: `/v1beta/models/${encodeURIComponent(model)}:countTokens`,
      body: { generateContentRequest: { model: `models/${model}`, ...mapped.body } },
      signal: request.signal,
    },
    identity,
    context,
    background,
  );
  const total: unknown = typeof answer === "object" && answer !== null ? Reflect.get(answer, "totalTokens") : undefined;
  if (typeof total !== "number") throw new GemrelayError("Gemini's countTokens answer has no totalTokens.", 502);
  return Response.json({ input_tokens: total });
}
