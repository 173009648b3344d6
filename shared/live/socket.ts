/**
 * The WebSockets of a Live session, as the core sees them: one small interface over the
 * platforms' sockets (the `ws` package on Node, WebSocketPair and `fetch` upgrades on
 * Cloudflare), so that the relay logic is written once. Platforms inject how to accept a
 * client's upgrade and how to open one to Gemini.
 */
import { sendableCode } from "./closes.ts";

/** A frame's payload: text frames as strings, binary frames as bytes. */
export type LiveFrame = string | ArrayBuffer;

/** What a socket reports. */
export interface LiveHandlers {
  message(data: LiveFrame): void;
  close(code: number, reason: string): void;
}

/** One open WebSocket. */
export interface LiveSocket {
  send(data: LiveFrame): void;
  close(code: number, reason: string): void;
  /** Starts delivery; frames and a close that arrived before are delivered first, in order. */
  listen(handlers: LiveHandlers): void;
}

/** An upstream connect: the open socket, or the HTTP answer that refused the upgrade. */
export type LiveOpen = { socket: LiveSocket } | { refused: Response };

/** Opens a WebSocket to `url` (ws: or wss:) with `headers`; throws on a connect error. */
export type LiveConnect = (url: string, headers: Headers) => Promise<LiveOpen>;

/** The platform's side of a client upgrade. */
export interface LivePlatform {
  /**
   * Accepts the client's upgrade of `request`: the socket, and the response the platform's
   * fetch handler must return for the upgrade to complete.
   */
  accept(request: Request): Promise<{ socket: LiveSocket; response: Response }>;
}

/** The event shapes shared by the `ws` package and the WHATWG WebSocket (Cloudflare's included). */
interface MessageEventLike {
  data: unknown;
}
interface CloseEventLike {
  code: number;
  reason: string | { toString(): string };
}

/** A WebSocket with WHATWG-style listeners: the `ws` package's and Cloudflare's both are. */
export interface EventSocket {
  send(data: LiveFrame): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message", listener: (event: MessageEventLike) => void): void;
  addEventListener(type: "close", listener: (event: CloseEventLike) => void): void;
  addEventListener(type: "error", listener: (event: unknown) => void): void;
}

function asFrame(data: unknown): LiveFrame {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
  return String(data);
}

/**
 * Wraps an event-style WebSocket. Binary frames must arrive as ArrayBuffer or a view (set
 * `binaryType = "arraybuffer"` where the platform has another default). Events before `listen`
 * are queued: the upstream's first answer can come before the relay is ready for it.
 */
export function eventSocket(socket: EventSocket): LiveSocket {
  const queued: ((handlers: LiveHandlers) => void)[] = [];
  let handlers: LiveHandlers | null = null;
  let closed = false;
  const deliver = (event: (handlers: LiveHandlers) => void) => (handlers ? event(handlers) : queued.push(event));
  socket.addEventListener("message", (event) => {
    const frame = asFrame(event.data);
    deliver((target) => target.message(frame));
  });
  const onClose = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    deliver((target) => target.close(code, reason));
  };
  socket.addEventListener("close", (event) => {
    // Workerd waits for the close to be answered before the closing handshake completes; `ws`
    // answers by itself and ignores this one.
    try {
      socket.close(sendableCode(event.code), "");
    } catch {
      // Already closed.
    }
    onClose(event.code, String(event.reason));
  });
  // An error is followed by a close on both platforms; 1006 covers the one that is not.
  socket.addEventListener("error", () => onClose(1006, "WebSocket error"));
  return {
    send: (data) => {
      if (!closed) socket.send(data);
    },
    close: (code, reason) => {
      try {
        socket.close(code, reason);
      } catch {
        // Already closing: nothing more to say.
      }
    },
    listen: (next) => {
      handlers = next;
      for (const event of queued.splice(0)) event(next);
    },
  };
}
