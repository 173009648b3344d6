/**
 * A Live session's way to Gemini, in the attempt scheduler's terms: each attempt opens the
 * WebSocket with one key, sends the setup and waits for Google's first answer. Google refuses a
 * key, a quota or a location with a close after the setup (or, in front of it, an HTTP answer to
 * the upgrade); either becomes the HTTP answer the classification reads (closes.ts), so that the
 * scheduler cools or disables the key and tries another before the client sees the session
 * start. A success is a 200 whose socket is kept here, found again by the response; a refusal
 * that reaches the client is closed with the code its status maps back to (closes.ts).
 */
import type { Egress, EgressRequest } from "../egress/egress.ts";
import { joinUpstream } from "../egress/target.ts";
import { closeAsHttp, type LiveClose } from "./closes.ts";
import { frameText } from "./setup.ts";
import type { LiveConnect, LiveFrame, LivePlatform, LiveSocket } from "./socket.ts";

/** How long Google may take to answer the setup before the attempt counts as failed. */
const setupTimeoutMs = 20_000;

/** An upstream session that answered its setup: the socket and that first answer. */
export interface OpenedSession {
  socket: LiveSocket;
  first: LiveFrame;
}

/** Sessions behind the 200s handed to the scheduler. */
const opened = new WeakMap<Response, OpenedSession>();

/** The session a successful attempt opened. */
export function openedSession(response: Response): OpenedSession | undefined {
  return opened.get(response);
}

/** The upstream WebSocket URL of the in-process egress: the upstream's origin and prefix, ws(s). */
export function liveUpstreamUrl(upstream: string, pathAndQuery: string): string {
  const [path = "", query = ""] = pathAndQuery.split(/\?(.*)/s, 2);
  return joinUpstream(upstream, path, query ? `?${query}` : "").replace(/^http/, "ws");
}

/**
 * Moves the key the scheduler put in `x-goog-api-key` into `?key=`, as Google's Live endpoint and
 * the SDKs carry it; with an ephemeral token (`access_token`) no key goes at all.
 */
function withKey(request: EgressRequest): { pathAndQuery: string; headers: Headers } {
  const headers = new Headers(request.headers);
  const key = headers.get("x-goog-api-key");
  headers.delete("x-goog-api-key");
  const [path = "", query = ""] = request.pathAndQuery.split(/\?(.*)/s, 2);
  const search = new URLSearchParams(query);
  search.delete("key");
  if (!search.has("access_token") && key !== null) search.set("key", key);
  const text = search.toString();
  return { pathAndQuery: path + (text ? `?${text}` : ""), headers };
}

/** Sends the setup (the attempt's body) and resolves with Google's first frame or its close. */
function firstAnswer(socket: LiveSocket, setup: string, signal: AbortSignal | undefined): Promise<{ frame: LiveFrame } | { close: LiveClose }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: { frame: LiveFrame } | { close: LiveClose }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      socket.close(1001, "setup timed out");
      settle({ close: { code: 1011, reason: "Gemini did not answer the Live setup in time." } });
    }, setupTimeoutMs);
    // The client left while Google was asked: the scheduler sees the abort and stops trying.
    const onAbort = () => {
      socket.close(1001, "client left");
      settled = true;
      clearTimeout(timer);
      reject(new Error("The client closed the session."));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.listen({ message: (frame) => settle({ frame }), close: (code, reason) => settle({ close: { code, reason } }) });
    socket.send(setup);
  });
}

/** Whether Google's first answer ended the setup well (anything but an error message). */
function isSetupAnswer(frame: LiveFrame): boolean {
  return !/^\s*\{\s*"error"/.test(frameText(frame));
}

/**
 * The Live form of `egress`, or null when it cannot carry WebSockets (the Netlify and Vercel
 * relays): same id and weight, so relay health and picks are shared with HTTP requests.
 */
export function liveEgress(egress: Egress): Egress | null {
  const connect = egress.openLive;
  if (connect === undefined) return null;
  return {
    id: egress.id,
    weight: egress.weight,
    probe: () => egress.probe(),
    async send(request) {
      if (request.signal?.aborted) throw new Error("The client closed the session.");
      const target = withKey(request);
      const attempt = await connect(target.pathAndQuery, target.headers);
      if ("refused" in attempt) return attempt.refused;
      const setup = request.body instanceof ArrayBuffer ? new TextDecoder().decode(request.body) : "";
      const answer = await firstAnswer(attempt.socket, setup, request.signal);
      if ("frame" in answer && isSetupAnswer(answer.frame)) {
        const response = new Response(null, { status: 200 });
        opened.set(response, { socket: attempt.socket, first: answer.frame });
        return response;
      }
      const close = "close" in answer ? answer.close : { code: 1011, reason: frameText(answer.frame) };
      if ("frame" in answer) attempt.socket.close(1000, "");
      const http = closeAsHttp(close);
      return new Response(http.body, { status: http.status, headers: { "content-type": "application/json; charset=UTF-8" } });
    },
  };
}

/** Whether a Live session can leave through `egress`: the platform accepts upgrades and the egress carries WebSockets. */
export function carriesLive(live: LivePlatform | undefined, egress: Egress): boolean {
  return live !== undefined && egress.openLive !== undefined;
}

/** The egresses a Live session may use. */
export function liveEgresses(egresses: readonly Egress[]): Egress[] {
  return egresses.flatMap((egress) => liveEgress(egress) ?? []);
}

/** Builds the Egress `openLive` of the in-process egress from the platform's connect. */
export function inProcessLive(upstream: string, connect: LiveConnect): NonNullable<Egress["openLive"]> {
  return (pathAndQuery, headers) => connect(liveUpstreamUrl(upstream, pathAndQuery), headers);
}
