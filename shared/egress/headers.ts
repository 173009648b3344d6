/**
 * Header policy of the egress hop. Requests: a whitelist, because whatever a client or platform
 * adds (hop-by-hop headers, `x-forwarded-*`, `cf-*`, cookies, user agents) either breaks the
 * upstream call (`Connection: upgrade` from GPT-Load, REFERENCE.md §3) or tells Google who is
 * behind the relay. Responses: a blacklist, because Gemini's own headers (content-type,
 * `x-goog-upload-*`, vary, date) belong to the answer, while framing and cookies do not.
 */

/**
 * Request headers copied verbatim. Deliberately absent:
 * - `accept-encoding`: the runtime's fetch negotiates compression itself and transparently
 *   decodes what it asked for; forwarding a client's list could ask Google for a coding this
 *   runtime cannot decode (e.g. `zstd` from a newer Node client to a Node 20 relay), and the body
 *   would then reach the client still compressed but without its `content-encoding` header.
 * - `accept`: Gemini picks the format from `?alt=sse`, not from `Accept`.
 * - `user-agent`: identifies the client software behind the relay; the runtime sends its own.
 * - `content-length`: the body is streamed (chunked); the runtime sets framing.
 */
const copiedRequestHeaders: ReadonlySet<string> = new Set([
  "content-type",
  "x-goog-api-client",
  "x-goog-user-project",
]);

/** Headers of Gemini's resumable upload protocol (`/upload/v1beta/files`). */
const copiedRequestHeaderPrefix = "x-goog-upload-";

/**
 * The headers sent upstream for a client request. The key goes in `x-goog-api-key`, or as
 * `Authorization: Bearer` on `/v1beta/openai/*` (which is how that surface authenticates).
 */
export function upstreamRequestHeaders(incoming: Headers, key: string | undefined, openAi: boolean): Headers {
  const outgoing = new Headers();
  incoming.forEach((value, name) => {
    if (copiedRequestHeaders.has(name) || name.startsWith(copiedRequestHeaderPrefix)) outgoing.set(name, value);
  });
  if (key !== undefined) {
    if (openAi) outgoing.set("authorization", `Bearer ${key}`);
    else outgoing.set("x-goog-api-key", key);
  }
  return outgoing;
}

/**
 * Response headers never passed back. `content-encoding` and `content-length` go always: the
 * runtime's fetch may have decompressed the body, and the platform frames the stream itself.
 */
const droppedResponseHeaders: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "transfer-encoding",
  "trailer",
  "te",
  "upgrade",
  "content-encoding",
  "content-length",
  "set-cookie",
  "set-cookie2",
  "alt-svc",
  "server-timing",
]);

/** Platform bookkeeping headers of an upstream that is itself behind Netlify or Vercel. */
const droppedResponseHeaderPattern = /^x-(?:nf|netlify|vercel)-|(?:^|-)internal(?:-|$)/;

/**
 * Set on every upstream answer passed on: it is data, never a page of gemrelay's origin (where the
 * admin console and its session cookie live). Google's front end answers some bad paths with an
 * HTML page, and a body is whatever the upstream (GEMINI_UPSTREAM may be any server) chose to send.
 */
const upstreamAnswerHeaders: readonly [string, string][] = [
  ["content-security-policy", "default-src 'none'; sandbox"],
  ["x-content-type-options", "nosniff"],
];

/** Gemini's response headers minus framing, cookies and platform internals, plus {@link upstreamAnswerHeaders}. */
export function clientResponseHeaders(upstream: Headers): Headers {
  const outgoing = new Headers();
  upstream.forEach((value, name) => {
    if (droppedResponseHeaders.has(name) || droppedResponseHeaderPattern.test(name)) return;
    outgoing.append(name, value);
  });
  for (const [name, value] of upstreamAnswerHeaders) outgoing.set(name, value);
  return outgoing;
}
