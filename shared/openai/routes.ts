/**
 * The OpenAI-compatible surface as protocol routes (protocols/adapter.ts): the paths of paths.ts,
 * each answered by its handler, every failure in OpenAI's error shape.
 */
import type { ProtocolRoute } from "../protocols/adapter.ts";
import { handleTextCompletion } from "../completions/handler.ts";
import { handleChat } from "./chat.ts";
import { handleEmbeddings } from "./embeddings.ts";
import { openAiErrorResponse } from "./errors.ts";
import { forwardToGeminiOpenAi } from "./forward.ts";
import { listModels, retrieveModel } from "./models.ts";
import type { OpenAiRoute } from "./paths.ts";

/** The protocol route for a matched OpenAI path. */
export function openAiRoute(route: OpenAiRoute): ProtocolRoute {
  return {
    surface: "openai",
    errorResponse: openAiErrorResponse,
    handle: (input) => {
      const { request, url, identity, context, background } = input;
      switch (route.kind) {
        case "chat":
          return handleChat(input);
        case "completions":
          return handleTextCompletion(input);
        case "embeddings":
          return handleEmbeddings(request, identity, context, background);
        case "models":
          return listModels(identity, context, background, request.signal);
        case "model":
          return retrieveModel(route.id, identity, context, background, request.signal);
        case "forward":
          return forwardToGeminiOpenAi(request, url, route.path, identity, context, background);
      }
    },
  };
}
