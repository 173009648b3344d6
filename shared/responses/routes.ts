/**
 * `POST /v1/responses`, the OpenAI Responses adapter: mapped through the chat mapping
 * (request.ts) onto the one generate path (protocols/generate.ts), answered as a Response or its
 * semantic stream; errors in OpenAI's shape.
 */
import { GemrelayError } from "../errors.ts";
import { readJsonBody } from "../openai/body.ts";
import { openAiErrorResponse } from "../openai/errors.ts";
import type { ProtocolRequest, ProtocolRoute } from "../protocols/adapter.ts";
import { answerGenerate } from "../protocols/generate.ts";
import { endingOf, newResponseMeta, outputItemsOf, responseObject } from "./output.ts";
import type { ResponsesRoute } from "./paths.ts";
import { toResponsesGenerateRequest } from "./request.ts";
import { responsesRequestSchema } from "./schema.ts";
import { responseEventEncoder } from "./stream.ts";

/** Answers one create-response request. */
async function handleCreate(input: ProtocolRequest): Promise<Response> {
  const { request, context } = input;
  const body = await readJsonBody(request, context.config.maxBodyBytes, responsesRequestSchema);
  const mapped = await toResponsesGenerateRequest(body, context.config.openai, { fetch: context.imageFetch, bodyLimit: context.config.maxBodyBytes });
  const meta = newResponseMeta(body.model, context.clock());
  return answerGenerate(input, mapped, {
    stream: () => responseEventEncoder(meta),
    whole: (answer) => {
      const candidate = answer.candidates?.[0];
      const ending = endingOf(candidate?.finishReason, answer.promptFeedback?.blockReason !== undefined);
      return responseObject(meta, outputItemsOf(candidate?.content?.parts ?? []), ending, answer.usageMetadata);
    },
  });
}

/** The protocol route for a matched Responses path. */
export function responsesRoute(route: ResponsesRoute): ProtocolRoute {
  const base = { surface: "responses", errorResponse: openAiErrorResponse };
  switch (route.kind) {
    case "create":
      return { ...base, handle: handleCreate };
    case "websocket": {
      // Answered at once, before authentication: Codex then falls back to HTTP without a stall.
      const refusal = new GemrelayError("WebSocket is not supported on /v1/responses: use HTTP POST with stream: true.", 426);
      return { ...base, refusal, handle: () => Promise.reject(refusal) };
    }
    case "stored": {
      const error = new GemrelayError(`No response with id '${route.id.slice(0, 80)}': gemrelay does not store responses.`, 404);
      return { ...base, handle: () => Promise.reject(error) };
    }
  }
}
