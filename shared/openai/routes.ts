/**
 * The OpenAI-compatible surface as one Hono middleware, mounted before the Gemini native
 * catch-all: it answers the paths of paths.ts and passes everything else on. Every failure on
 * these paths is answered in OpenAI's error shape (the app's own error handler speaks Gemini's).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppContext } from "../app.ts";
import { authenticate } from "../auth.ts";
import type { Background } from "../routing/pool-view.ts";
import { handleChat } from "./chat.ts";
import { handleEmbeddings } from "./embeddings.ts";
import { clientError } from "../errors.ts";
import { openAiErrorResponse } from "./errors.ts";
import { forwardToGeminiOpenAi } from "./forward.ts";
import { listModels, retrieveModel } from "./models.ts";
import { matchOpenAiRoute } from "./paths.ts";

/** The middleware; `backgroundOf` gives the platform's way to run work after the response. */
export function openAiRoutes(context: AppContext, backgroundOf: (c: Context) => Background): MiddlewareHandler {
  return async (c, next) => {
    const request = c.req.raw;
    const url = new URL(request.url);
    const route = matchOpenAiRoute(request, url);
    if (route === null) return next();
    const background = backgroundOf(c);
    try {
      const identity = authenticate(request, url, context.config);
      switch (route.kind) {
        case "chat":
          return await handleChat(request, identity, context, background);
        case "embeddings":
          return await handleEmbeddings(request, identity, context, background);
        case "models":
          return await listModels(identity, context, background, request.signal);
        case "model":
          return await retrieveModel(route.id, identity, context, background, request.signal);
        case "forward":
          return await forwardToGeminiOpenAi(request, url, route.path, identity, context, background);
      }
    } catch (error) {
      return openAiErrorResponse(clientError(error, context.log, { surface: "openai", path: url.pathname }));
    }
  };
}
