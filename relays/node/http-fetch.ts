/**
 * The self-host's egress `fetch`, on node:http/https instead of Node's global fetch (undici).
 * The egress asks little of fetch (method, headers, a buffered or streamed body, a signal, no
 * redirects, cookies or caches), and undici's WHATWG machinery around that costs more CPU per
 * request than the rest of the hop (`npm run bench`). Requests reuse keep-alive sockets; the
 * response body is a web stream over the socket's own chunks (no copies, paused while the reader
 * is behind), so streamed answers still reach the client event by event.
 */
import http from "node:http";
import https from "node:https";
import { once } from "node:events";
import type { Readable } from "node:stream";
import zlib from "node:zlib";

/** The connection pools one fetch uses, by URL scheme. */
export interface Agents {
  "http:": http.Agent;
  "https:": https.Agent;
}

const keepAliveAgents: Agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

/**
 * Node's own Response, taken before @hono/node-server swaps the global for its lazy one: the
 * egress reads this response's body at once, so the lazy one would only be built twice.
 */
const NodeResponse = globalThis.Response;

/**
 * A connection silent this long (no headers, or no body bytes) is given up, as Node's global fetch
 * does by default (undici's headersTimeout and bodyTimeout). Streamed answers have their own,
 * shorter stall timeouts (resume/attempt.ts); this bounds every other call.
 */
const idleTimeoutMs = 300_000;

/** Statuses whose responses carry no body (the Response constructor rejects one). */
const nullBodyStatuses: ReadonlySet<number> = new Set([101, 204, 205, 304]);

/** Decoders for a content coding the upstream used although asked for `identity`. */
const decoders: Readonly<Record<string, () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress>> = {
  gzip: () => zlib.createGunzip(),
  "x-gzip": () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

type Body = string | Uint8Array | ReadableStream<Uint8Array> | null;

/** The body as bytes or a stream; undefined for kinds this fetch leaves to the global one (FormData, Blob). */
function bodyOf(body: BodyInit | null | undefined): Body | undefined {
  if (body === null || body === undefined) return null;
  if (typeof body === "string" || body instanceof ReadableStream) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof URLSearchParams) return body.toString();
  return undefined;
}

function headersOf(init: HeadersInit | undefined, body: Body): Record<string, string> {
  const headers: Record<string, string> = {};
  (init instanceof Headers ? init : new Headers(init)).forEach((value, name) => (headers[name] = value));
  // Asked for plainly: a compressed stream costs CPU on both ends and may hold events back.
  headers["accept-encoding"] ??= "identity";
  if (typeof body === "string") headers["content-length"] = String(Buffer.byteLength(body));
  else if (body instanceof Uint8Array) headers["content-length"] = String(body.byteLength);
  return headers;
}

async function writeStream(body: ReadableStream<Uint8Array>, request: http.ClientRequest): Promise<void> {
  const reader = body.getReader();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      if (!request.write(next.value)) await once(request, "drain");
    }
    request.end();
  } catch (error) {
    request.destroy(error instanceof Error ? error : new Error(String(error)));
    void reader.cancel(error).catch(() => undefined);
  }
}

/** A web stream over `source`'s chunks; `abandon` ends the exchange when the reader cancels. */
function bodyStream(source: Readable, abandon: () => void): ReadableStream<Uint8Array> {
  let open = true;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const end = (error?: unknown) => {
          if (!open) return;
          open = false;
          if (error === undefined) controller.close();
          else controller.error(error);
        };
        source.on("data", (chunk: Buffer) => {
          if (!open) return;
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 0) <= 0) source.pause();
        });
        source.once("end", () => end());
        source.on("error", (error) => end(error));
        // Closed before the end: the connection was cut (undici says "terminated").
        source.once("close", () => end(new TypeError("terminated")));
      },
      pull() {
        source.resume();
      },
      cancel() {
        open = false;
        abandon();
      },
    },
    { highWaterMark: 1 },
  );
}

function toResponse(response: http.IncomingMessage, request: http.ClientRequest): Response {
  const headers: [string, string][] = [];
  const raw = response.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) headers.push([raw[index]!, raw[index + 1]!]);
  const status = response.statusCode ?? 502;
  const init = { status, statusText: response.statusMessage ?? "", headers };
  if (nullBodyStatuses.has(status)) {
    response.on("error", () => undefined).resume();
    return new NodeResponse(null, init);
  }
  const decoder = decoders[(response.headers["content-encoding"] ?? "").trim().toLowerCase()]?.();
  const source: Readable = decoder ? response.pipe(decoder) : response;
  if (decoder) response.on("error", (error) => decoder.destroy(error));
  return new NodeResponse(bodyStream(source, () => request.destroy()), init);
}

/** One exchange; `retried` when it already replaced a request that met a closed keep-alive socket. */
function exchange(url: URL, init: RequestInit, body: Body, retried: boolean, agents: Agents): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const request = (url.protocol === "https:" ? https : http).request(url, {
      method: init.method ?? "GET",
      headers: headersOf(init.headers, body),
      agent: agents[url.protocol as keyof typeof agents],
    });
    let incoming: http.IncomingMessage | undefined;
    /** Ends the exchange: the pending promise, or else the body stream, fails with `error`. */
    const fail = (error: Error) => {
      incoming?.destroy(error);
      request.destroy(error);
    };
    // With the abort reason, as with the global fetch.
    const onAbort = () => fail(signal?.reason instanceof Error ? signal.reason : new Error(String(signal?.reason)));
    signal?.addEventListener("abort", onAbort, { once: true });
    request.setTimeout(idleTimeoutMs, () => fail(Object.assign(new Error(`no data from ${url.origin} for ${idleTimeoutMs / 1000} s`), { code: "ETIMEDOUT" })));
    const forget = () => signal?.removeEventListener("abort", onAbort);
    request.on("error", (error: NodeJS.ErrnoException) => {
      forget();
      // A kept-alive socket the server had just closed (https://nodejs.org/api/http.html#requestreusedsocket).
      if (incoming === undefined && !retried && request.reusedSocket && error.code === "ECONNRESET" && !(body instanceof ReadableStream) && !signal?.aborted) {
        resolve(exchange(url, init, body, true, agents));
      } else reject(signal?.aborted ? signal.reason : error);
    });
    request.once("response", (response) => {
      incoming = response;
      response.once("close", forget);
      resolve(toResponse(response, request));
    });
    if (body instanceof ReadableStream) void writeStream(body, request);
    else request.end(body ?? undefined);
  });
}

/**
 * A `fetch` on node:http/https over `agents` for absolute http(s) URLs with string, byte or
 * stream bodies. Any other input goes to the global fetch, or, with `strict`, is refused (a
 * fetch whose agents enforce something must not have a way around them).
 */
export function createNodeFetch(agents: Agents, strict = false): typeof fetch {
  return (input, init = {}) => {
    const body = bodyOf(init.body);
    const url = typeof input === "string" || input instanceof URL ? new URL(input) : null;
    if (url === null || body === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
      return strict ? Promise.reject(new TypeError("this fetch takes absolute http(s) URLs with string, byte or stream bodies only")) : fetch(input, init);
    }
    return exchange(url, init, body, false, agents);
  };
}

/**
 * The egress `fetch`: node:http/https with keep-alive sockets; inputs it does not handle go to
 * the global fetch. Redirects are returned, not followed (the egress asks for `redirect: "manual"`).
 */
export const nodeFetch: typeof fetch = createNodeFetch(keepAliveAgents);
