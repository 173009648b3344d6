/**
 * The middleware in front of every client API route (Gemini native and OpenAI): opens the
 * request's trace, resolves its client (access/resolve.ts), and once the response is over hands
 * the finished request to the usage recorder in the background.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppContext } from "../app.ts";
import { rememberClient } from "../auth.ts";
import { resolveClient } from "../access/resolve.ts";
import { AuthenticationError, SetupError, type GemrelayError } from "../errors.ts";
import { parseGeminiPath } from "../gemini/paths.ts";
import { protocolRouteOf } from "../protocols/registry.ts";
import type { Background } from "../routing/pool-view.ts";
import { attachTrace, RequestTrace, type FinishedRequest } from "./trace.ts";

/** Counts a finished request's input tokens for the per-minute token budgets; pool keys only (a pass-through key is the client's). */
async function countTokens(context: AppContext, finished: FinishedRequest, background: Background): Promise<void> {
  try {
    const key = finished.key;
    if (key === null || !(await context.pool.current(background)).keys.some((entry) => entry.key === key)) return;
    await context.policies.budgets.spendTokens(key, finished.model, finished.usage?.promptTokenCount ?? 0);
  } catch (error) {
    context.log({ level: "error", event: "budget.tokens", message: String(error) });
  }
}

/** A refusal before the caller was known: a wrong, missing, revoked or expired key, or no access key configured at all. */
function failedAuthentication(error: GemrelayError): boolean {
  return error instanceof AuthenticationError || error instanceof SetupError;
}

/** The middleware; `backgroundOf` gives the platform's way to run work after the response. */
export function clientRequests(context: AppContext, backgroundOf: (c: Context) => Background): MiddlewareHandler {
  return async (c, next) => {
    const request = c.req.raw;
    const url = new URL(request.url);
    const gemini = parseGeminiPath(url.pathname);
    const route = gemini === null ? protocolRouteOf(request, url) : null;
    // Refused before authentication (a path gemrelay does not serve): nobody to charge.
    if (gemini === null && (route === null || route.refusal !== undefined)) return next();
    const background = backgroundOf(c);
    const trace = new RequestTrace(context.clock(), gemini?.model ?? null, context.clock);
    const verdict = await resolveClient(request, url, context, trace, background);
    rememberClient(request, verdict);
    if ("error" in verdict && failedAuthentication(verdict.error)) {
      // Nothing per model, key or day for a caller who is nobody: one aggregate count (recorder.ts).
      context.admin.usage.refuse();
      return next();
    }
    attachTrace(request.signal, trace);
    background(
      trace.finished.then(async (finished) => {
        if (finished.ownKeyRefused) {
          context.admin.usage.refuse();
          return;
        }
        // The recorder's flush is part of this task: waitUntil must keep the isolate alive for it.
        const recorded = context.admin.usage.add(finished);
        return Promise.all([recorded, countTokens(context, finished, background)]);
      }),
    );
    await next();
    // Hono rebuilds any response assigned to `c.res`: only when there is a new one.
    const observed = trace.observeResponse(c.res);
    if (observed !== c.res) c.res = observed;
  };
}
