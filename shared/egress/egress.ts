/**
 * The worker's side of the egress hop: how a prepared Gemini request leaves the resume worker,
 * either through a remote relay (Netlify, Vercel) or in-process (self-host default).
 */
import { NotGeminiPathError, sendToGemini } from "./forward.ts";
import { geminiPathOf, presentedKey } from "./target.ts";
import type { LiveConnect, LiveOpen } from "../live/socket.ts";
import { inProcessLive } from "../live/upstream.ts";

/** A request ready for Gemini: path with query (no `key`), headers with `x-goog-api-key`. */
export interface EgressRequest {
  method: string;
  pathAndQuery: string;
  headers: Headers;
  body: BodyInit | null;
  signal?: AbortSignal;
}

/** One way out to Gemini. `id` names it in logs, usage and the simulator's records. */
export interface Egress {
  readonly id: string;
  /** Share of traffic under the `weighted` strategy. */
  readonly weight: number;
  /** How long the platform lets an answer stream through it; absent: no limit. */
  readonly maxStreamMs?: number;
  send(request: EgressRequest): Promise<Response>;
  /** Half-open probe: true when the egress answers its health check. */
  probe(): Promise<boolean>;
  /**
   * Opens a Live API WebSocket (path with query, key in `?key=`); absent on egresses that cannot
   * carry WebSockets (the Netlify and Vercel relays), which Live sessions skip.
   */
  readonly openLive?: (pathAndQuery: string, headers: Headers) => Promise<LiveOpen>;
}

function requestInit(request: EgressRequest): RequestInit & { duplex?: "half" } {
  const init: RequestInit & { duplex?: "half" } = { method: request.method, headers: request.headers };
  if (request.body !== null) {
    init.body = request.body;
    init.duplex = "half";
  }
  if (request.signal) init.signal = request.signal;
  return init;
}

/** Egress through a relay at `baseUrl`, authenticated with the hop secret. */
export function relayEgress(id: string, baseUrl: string, relayToken: string, weight = 1, fetcher: typeof fetch = fetch, maxStreamMs?: number): Egress {
  return {
    id,
    weight,
    ...(maxStreamMs !== undefined ? { maxStreamMs } : {}),
    async probe() {
      const response = await fetcher(`${baseUrl}/health`, { signal: AbortSignal.timeout(5_000) });
      await response.body?.cancel();
      return response.ok;
    },
    send(request) {
      const headers = new Headers(request.headers);
      headers.set("x-relay-token", relayToken);
      return fetcher(baseUrl + request.pathAndQuery, requestInit({ ...request, headers }));
    },
  };
}

/** How an in-process egress names itself and checks its way out; the direct one by default. */
export interface InProcessOptions {
  id?: string;
  weight?: number;
  /**
   * Probes the way out when true: every HTTP answer from the upstream through `fetcher` counts (a
   * proxy that cannot connect fails); the direct connection needs no probe.
   */
  probeUpstream?: boolean;
}

/**
 * Egress straight to the upstream from this process (self-host without relays, or the worker);
 * with `connectLive`, the platform's WebSocket client, it carries Live sessions too. With a
 * proxy's `fetcher` and `options`, the same egress through a proxy.
 */
export function inProcessEgress(upstream: string, fetcher: typeof fetch = fetch, connectLive?: LiveConnect, options: InProcessOptions = {}): Egress {
  return {
    id: options.id ?? "direct",
    weight: options.weight ?? 1,
    ...(connectLive ? { openLive: inProcessLive(upstream, connectLive) } : {}),
    probe: options.probeUpstream
      ? async () => {
          const response = await fetcher(upstream, { signal: AbortSignal.timeout(5_000) });
          await response.body?.cancel();
          return true;
        }
      : () => Promise.resolve(true),
    async send(request) {
      // Taken apart here rather than as a Request: a Request and its body stream cost more than the hop.
      const url = new URL(request.pathAndQuery, "http://egress.invalid");
      const geminiPath = geminiPathOf(url);
      if (geminiPath === null) throw new NotGeminiPathError();
      const { method, headers, body, signal } = request;
      return sendToGemini({ method, geminiPath, search: url.search, headers, key: presentedKey(headers, url), body, signal }, { upstream, fetch: fetcher });
    },
  };
}

/** A short, stable id for a relay URL (its host), used in logs instead of the full URL. */
export function relayId(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    return url.host + (url.pathname === "/" ? "" : url.pathname);
  } catch {
    return baseUrl;
  }
}
