/** Client authentication on the resume worker: pool mode (access key) or pass-through (own key). */
import type { WorkerConfig } from "./config/env.ts";
import { AuthenticationError, SetupError } from "./errors.ts";
import { secretMatchesAny } from "./secrets.ts";

/** Who is calling: a client of the pool, or a client bringing its own Gemini key. */
export type ClientIdentity = { mode: "pool" } | { mode: "pass-through"; key: string };

/** Header carrying the access key when the request's key slot holds a real Gemini key (GPT-Load). */
export const relayAuthHeader = "x-relay-auth";

/** The credential a client presented, from `?key=`, `x-goog-api-key` or `Authorization: Bearer`. */
export function presentedKey(request: Request, url: URL): string | null {
  const fromQuery = url.searchParams.get("key");
  if (fromQuery) return fromQuery;
  const fromHeader = request.headers.get("x-goog-api-key");
  if (fromHeader) return fromHeader.trim();
  const authorization = request.headers.get("authorization");
  const bearer = authorization ? /^Bearer\s+(.+)$/i.exec(authorization.trim()) : null;
  return bearer?.[1]?.trim() ?? null;
}

/** Gemini API keys start with `AIza`; used only to decide what an unauthenticated open pass-through may forward. */
function looksLikeGeminiKey(value: string): boolean {
  return /^AIza[0-9A-Za-z_-]{20,}$/.test(value);
}

/**
 * Decides pool or pass-through mode, or throws: 401 for a wrong or missing credential, 503 when
 * the worker has no access keys configured at all. Secrets are compared in constant time.
 */
export function authenticate(request: Request, url: URL, config: WorkerConfig): ClientIdentity {
  if (config.accessKeys.length === 0) {
    throw new SetupError("gemrelay is not configured: set AUTH_KEY (client access keys) and ADMIN_KEY, then redeploy.");
  }
  const presented = presentedKey(request, url);
  if (presented === null) {
    throw new AuthenticationError("Missing access key: pass your gemrelay access key as x-goog-api-key, ?key= or Authorization: Bearer.");
  }
  if (secretMatchesAny(presented, config.accessKeys)) return { mode: "pool" };
  const relayAuth = request.headers.get(relayAuthHeader);
  if (config.passThrough !== "off") {
    if (relayAuth !== null && secretMatchesAny(relayAuth.trim(), config.accessKeys)) return { mode: "pass-through", key: presented };
    if (relayAuth === null && config.passThrough === "open" && looksLikeGeminiKey(presented)) return { mode: "pass-through", key: presented };
    if (relayAuth !== null) throw new AuthenticationError(`The ${relayAuthHeader} header does not hold a valid gemrelay access key.`);
    if (looksLikeGeminiKey(presented)) {
      throw new AuthenticationError(`To use your own Gemini key through gemrelay, send a gemrelay access key in the ${relayAuthHeader} header.`);
    }
  }
  throw new AuthenticationError();
}
