/**
 * Forwarding one Gemini request upstream, streaming both ways. Used by the egress relays
 * (Netlify, Vercel) behind their hop-secret check and by the in-process egress of self-host.
 */
import { eitherSignal } from "../signals.ts";
import { GemrelayError } from "../errors.ts";
import { clientResponseHeaders, upstreamRequestHeaders } from "./headers.ts";
import { forwardedQuery, geminiPathOf, isOpenAiPath, joinUpstream, presentedKey } from "./target.ts";

/** How to reach Gemini. */
export interface ForwardOptions {
  /** Base URL of the Gemini API or of a further hop; may carry a path prefix. */
  upstream: string;
  /** Injected fetch (tests, platform quirks); the global one by default. */
  fetch?: typeof fetch;
  /** Aborts the upstream call; the incoming request's own signal is always honoured too. */
  signal?: AbortSignal;
}

/**
 * The upstream could not be reached (DNS, refused, reset, TLS) before any response: a fault of
 * the relay's side, never of the key. Its message names the upstream origin and the system error
 * code only, never a key.
 */
export class EgressConnectError extends GemrelayError {
  constructor(
    readonly upstreamOrigin: string,
    /** The system error code when the runtime gave one, e.g. `ECONNREFUSED`. */
    readonly code: string | undefined,
  ) {
    super(`The egress relay could not reach the Gemini upstream ${upstreamOrigin}${code ? ` (${code})` : ""}.`, 502);
  }
}

/** A request path that is not part of the Gemini API (nothing under /v1beta, /v1, /v1alpha, /upload). */
export class NotGeminiPathError extends GemrelayError {
  constructor() {
    super("Not a Gemini API path: expected /v1beta/…, /v1/…, /v1alpha/… or /upload/….", 404);
  }
}

/** Statuses whose responses carry no body (the Response constructor rejects one). */
const nullBodyStatuses: ReadonlySet<number> = new Set([101, 204, 205, 304]);

function errorCode(error: unknown): string | undefined {
  // Node's fetch (undici) throws TypeError("fetch failed") with the system error as `cause`.
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const code: unknown = Reflect.get(current, "code");
    if (typeof code === "string" && code.length > 0) return code;
    current = Reflect.get(current, "cause");
  }
  return undefined;
}

function combinedSignal(request: Request, signal: AbortSignal | undefined): AbortSignal | undefined {
  return eitherSignal(signal, request.signal ?? undefined);
}

/** A Gemini request taken apart: what {@link sendToGemini} needs of it. */
export interface GeminiCall {
  method: string;
  /** Path from the version segment on (see `geminiPathOf`). */
  geminiPath: string;
  /** The client's query string as it came (`?…` or empty); `key` and platform parameters are dropped here. */
  search: string;
  /** The client's headers; only the whitelisted ones go upstream. */
  headers: Headers;
  /** The Gemini key the client presented (see `presentedKey`). */
  key: string | undefined;
  body: BodyInit | null;
  signal?: AbortSignal | undefined;
}

/**
 * Forwards a Gemini request to `options.upstream`: path from the version segment on (the request
 * may arrive under a relay path prefix), query verbatim minus `key` and platform parameters,
 * whitelisted headers, the key in `x-goog-api-key` (`Authorization: Bearer` on /v1beta/openai/*),
 * the body streamed. The response keeps Gemini's status and body stream untouched; only its
 * headers are scrubbed.
 *
 * @throws NotGeminiPathError when the request path is not a Gemini API path.
 * @throws EgressConnectError when the upstream cannot be reached.
 * @throws the abort reason when the call was aborted.
 */
export async function forwardToGemini(request: Request, options: ForwardOptions): Promise<Response> {
  const url = new URL(request.url);
  const geminiPath = geminiPathOf(url);
  if (geminiPath === null) throw new NotGeminiPathError();
  return sendToGemini(
    {
      method: request.method,
      geminiPath,
      search: url.search,
      headers: request.headers,
      key: presentedKey(request.headers, url),
      body: request.body,
      signal: combinedSignal(request, options.signal),
    },
    options,
  );
}

/** {@link forwardToGemini} for a request already taken apart (the self-host's in-process egress). */
export async function sendToGemini(call: GeminiCall, options: ForwardOptions): Promise<Response> {
  const target = joinUpstream(options.upstream, call.geminiPath, forwardedQuery(call.search));
  const signal = call.signal;

  // `duplex: "half"` lets Node's fetch send a ReadableStream body without buffering it
  // (https://github.com/nodejs/node/issues/46221); other runtimes ignore the field.
  const init: RequestInit & { duplex?: "half" } = {
    method: call.method,
    headers: upstreamRequestHeaders(call.headers, call.key, isOpenAiPath(call.geminiPath)),
    redirect: "manual",
  };
  if (call.body !== null && call.method !== "GET" && call.method !== "HEAD") {
    init.body = call.body;
    init.duplex = "half";
  }
  if (signal) init.signal = signal;

  let upstream: Response;
  try {
    upstream = await (options.fetch ?? fetch)(target, init);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new EgressConnectError(new URL(target).origin, errorCode(error));
  }
  return new Response(nullBodyStatuses.has(upstream.status) ? null : upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: clientResponseHeaders(upstream.headers),
  });
}
