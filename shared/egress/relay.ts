/**
 * The egress relay: a stateless fetch handler that forwards Gemini paths upstream for holders of
 * the hop secret, and answers `/health`. Never an open proxy: without RELAY_TOKEN it forwards
 * nothing. Never logs; keys and the token appear in no response.
 */
import { defaultUpstream } from "../config/upstream.ts";
import { AuthenticationError, BadRequestError, GemrelayError, SetupError, UpstreamUnavailableError, geminiErrorResponse } from "../errors.ts";
import { requestPathProblem } from "../request-path.ts";
import { secretEquals } from "../secrets.ts";
import { forwardToGemini } from "./forward.ts";
import { geminiPathOf } from "./target.ts";

/** What a relay deployment knows about itself; the entries in relays/* read it from the platform. */
export interface RelayOptions {
  /** RELAY_TOKEN: the worker→relay hop secret. Unset or empty: every forward answers 503. */
  relayToken: string | undefined;
  /** GEMINI_UPSTREAM; https://generativelanguage.googleapis.com when unset or empty. */
  upstream: string | undefined;
  /** Platform name reported on /health and in `x-gemrelay-relay`, e.g. `netlify`. */
  platform: string;
  /** Region the relay runs in, e.g. `cmh` or `iad1`. */
  region: string;
  /** Injected fetch for the upstream call. */
  fetch?: typeof fetch;
}

/** Response header marking answers the relay produced itself (its faults, not Gemini's). */
export const faultHeader = "x-gemrelay-fault";

/** Response header naming the relay (`platform:region`) on every answer. */
export const relayHeader = "x-gemrelay-relay";

/** Header carrying the hop secret from the worker. */
export const relayTokenHeader = "x-relay-token";

const healthPattern = /\/health\/?$/;

function upstreamOf(configured: string | undefined): string | SetupError {
  const value = configured?.trim() || defaultUpstream;
  try {
    const url = new URL(value);
    if (url.protocol === "https:" || url.protocol === "http:") return value;
  } catch {
    // Reported below.
  }
  return new SetupError("GEMINI_UPSTREAM must be an http(s) URL; fix the relay's environment.");
}

/**
 * Builds the relay's fetch handler. Routes: `GET /health` (also under a path prefix) →
 * `{ok, platform, region}`; Gemini paths (`/v1beta`, `/v1`, `/v1alpha`, `/upload`, also under a
 * prefix) → forwarded when `x-relay-token` matches RELAY_TOKEN (constant-time), else 401;
 * anything else → 404. Answers the relay makes itself carry `x-gemrelay-fault: relay`, so the
 * worker can blame the relay rather than the key; every answer carries `x-gemrelay-relay`.
 */
export function createRelayHandler(options: RelayOptions): (request: Request) => Promise<Response> {
  const identity = `${options.platform}:${options.region}`;
  const relayToken = options.relayToken && options.relayToken.length > 0 ? options.relayToken : undefined;
  const upstream = upstreamOf(options.upstream);

  const fault = (error: GemrelayError): Response => {
    const response = geminiErrorResponse(error);
    response.headers.set(faultHeader, "relay");
    response.headers.set(relayHeader, identity);
    return response;
  };

  const health = (request: Request): Response => {
    const problem = !relayToken ? "RELAY_TOKEN is not set" : typeof upstream === "string" ? undefined : upstream.message;
    const body = { ok: problem === undefined, platform: options.platform, region: options.region, ...(problem ? { error: problem } : {}) };
    return new Response(request.method === "HEAD" ? null : JSON.stringify(body), {
      status: problem === undefined ? 200 : 503,
      headers: { "content-type": "application/json; charset=UTF-8", "cache-control": "no-store", [relayHeader]: identity },
    });
  };

  return async (request) => {
    const url = new URL(request.url);
    if (geminiPathOf(url) === null) {
      if (!healthPattern.test(url.pathname)) {
        return fault(new GemrelayError("Not found: this gemrelay egress relay serves Gemini API paths and /health only.", 404));
      }
      if (request.method === "GET" || request.method === "HEAD") return health(request);
      const response = fault(new GemrelayError("Method not allowed: /health answers GET and HEAD.", 405));
      response.headers.set("allow", "GET, HEAD");
      return response;
    }
    if (!relayToken) {
      return fault(
        new SetupError(
          "This gemrelay egress relay has no RELAY_TOKEN configured, so it forwards nothing (it is never an open proxy). " +
            "Set RELAY_TOKEN on the relay to the same value as on the resume worker.",
        ),
      );
    }
    if (!secretEquals(request.headers.get(relayTokenHeader) ?? "", relayToken)) {
      return fault(
        new AuthenticationError(
          `This gemrelay egress relay requires its hop secret: send the relay's RELAY_TOKEN in the ${relayTokenHeader} header.`,
        ),
      );
    }
    if (typeof upstream !== "string") return fault(upstream);
    // The worker refuses these paths before it sends anything; a relay refuses them too, for any
    // other holder of the hop secret (request-path.ts). The client's fault, so no fault header.
    const pathProblem = requestPathProblem(url.pathname);
    if (pathProblem !== null) {
      const response = geminiErrorResponse(new BadRequestError(pathProblem));
      response.headers.set(relayHeader, identity);
      return response;
    }
    try {
      const response = await forwardToGemini(request, options.fetch ? { upstream, fetch: options.fetch } : { upstream });
      response.headers.set(relayHeader, identity);
      return response;
    } catch (error) {
      if (error instanceof GemrelayError) return fault(error);
      // An abort (the caller went away) or a runtime failure: nothing useful to say, nothing secret.
      return fault(new UpstreamUnavailableError("The egress relay failed before Gemini answered."));
    }
  };
}
