/** Client authentication on the resume worker: pool mode (access key) or pass-through (own key). */
import type { WorkerConfig } from "./config/env.ts";
import { AuthenticationError, SetupError, type GemrelayError } from "./errors.ts";
import { secretMatchesAny } from "./secrets.ts";

/** Who is calling: a client of the pool, or a client bringing its own Gemini key. */
export type ClientIdentity = { mode: "pool" } | { mode: "pass-through"; key: string };

/** Header carrying the access key when the request's key slot holds a real Gemini key (GPT-Load). */
export const relayAuthHeader = "x-relay-auth";

/** The credential a client presented, from `?key=`, `x-goog-api-key`, `x-api-key` or `Authorization: Bearer`. */
export function presentedKey(request: Request, url: URL): string | null {
  const fromQuery = url.searchParams.get("key");
  if (fromQuery) return fromQuery;
  const fromHeader = request.headers.get("x-goog-api-key");
  if (fromHeader) return fromHeader.trim();
  // Anthropic's SDKs and Claude Code (ANTHROPIC_API_KEY) send the key here.
  const anthropic = request.headers.get("x-api-key");
  if (anthropic) return anthropic.trim();
  const authorization = request.headers.get("authorization");
  const bearer = authorization ? /^Bearer\s+(.+)$/i.exec(authorization.trim()) : null;
  return bearer?.[1]?.trim() ?? null;
}

/** Gemini API keys start with `AIza`; used only to decide what an unauthenticated open pass-through may forward. */
function looksLikeGeminiKey(value: string): boolean {
  return /^AIza[0-9A-Za-z_-]{20,}$/.test(value);
}

/** What counts as a valid access key; `configured` is false when there are none at all. */
export interface AccessCheck {
  configured: boolean;
  matches(credential: string): boolean;
}

/** The identity reached for a request before its handler ran, or the error to answer it with. */
export type ClientVerdict = { identity: ClientIdentity } | { error: GemrelayError };

/**
 * Verdicts the app reached ahead of the handlers: Store access keys need async work (hashing, a
 * cached lookup) that the synchronous `authenticate` cannot do, so the app resolves them first.
 */
const resolvedClients = new WeakMap<Request, ClientVerdict>();

/** Records the verdict for `request`; `authenticate` answers with it (see access/resolve.ts). */
export function rememberClient(request: Request, verdict: ClientVerdict): void {
  resolvedClients.set(request, verdict);
}

/**
 * Decides pool or pass-through mode, or throws: 401 for a wrong, missing, revoked or expired
 * credential, 403/429 as the app resolved them, 503 when no access key is configured at all.
 * Uses the app's verdict when there is one; otherwise AUTH_KEY alone, compared in constant time.
 */
export function authenticate(request: Request, url: URL, config: WorkerConfig): ClientIdentity {
  const verdict = resolvedClients.get(request);
  if (verdict) {
    if ("error" in verdict) throw verdict.error;
    return verdict.identity;
  }
  return decideIdentity(request, url, config, {
    configured: config.accessKeys.length > 0,
    matches: (credential) => secretMatchesAny(credential, config.accessKeys),
  });
}

/** The decision itself, over any notion of valid access key. */
export function decideIdentity(request: Request, url: URL, config: WorkerConfig, access: AccessCheck): ClientIdentity {
  if (!access.configured) {
    throw new SetupError("gemrelay is not configured: set AUTH_KEY (client access keys) and ADMIN_KEY, then redeploy.");
  }
  const presented = presentedKey(request, url);
  if (presented === null) {
    throw new AuthenticationError("Missing access key: pass your gemrelay access key as x-goog-api-key, ?key= or Authorization: Bearer.");
  }
  if (access.matches(presented)) return { mode: "pool" };
  // A pass-through key goes upstream in a header; `?key=` may decode to anything, CR/LF included.
  if (!/^[\x21-\x7e]+$/.test(presented)) throw new AuthenticationError("API key not valid: keys are printable ASCII without spaces.");
  const relayAuth = request.headers.get(relayAuthHeader);
  if (config.passThrough !== "off") {
    if (relayAuth !== null && access.matches(relayAuth.trim())) return { mode: "pass-through", key: presented };
    if (relayAuth === null && config.passThrough === "open" && looksLikeGeminiKey(presented)) return { mode: "pass-through", key: presented };
    if (relayAuth !== null) throw new AuthenticationError(`The ${relayAuthHeader} header does not hold a valid gemrelay access key.`);
    if (looksLikeGeminiKey(presented)) {
      throw new AuthenticationError(`To use your own Gemini key through gemrelay, send a gemrelay access key in the ${relayAuthHeader} header.`);
    }
  }
  throw new AuthenticationError();
}
