/**
 * The client protocols' routes as one Hono middleware, mounted before the Gemini native
 * catch-all: it answers what registry.ts matches and passes everything else on. Authentication
 * and the error shape are handled here once for every protocol (the app's own error handler
 * speaks Gemini's).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppContext } from "../app.ts";
import { authenticate } from "../auth.ts";
import { clientError } from "../errors.ts";
import type { Background } from "../routing/pool-view.ts";
import { protocolRouteOf } from "./registry.ts";

/** The middleware; `backgroundOf` gives the platform's way to run work after the response. */
export function protocolRoutes(context: AppContext, backgroundOf: (c: Context) => Background): MiddlewareHandler {
  return async (c, next) => {
    const request = c.req.raw;
    const url = new URL(request.url);
    const route = protocolRouteOf(request, url);
    if (route === null) return next();
    if (route.refusal) return route.errorResponse(route.refusal);
    try {
      const identity = authenticate(request, url, context.config);
      return await route.handle({ request, url, identity, context, background: backgroundOf(c) });
    } catch (error) {
      return route.errorResponse(clientError(error, context.log, { surface: route.surface, path: url.pathname }));
    }
  };
}
