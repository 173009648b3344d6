/**
 * The self-host's WebSockets for the Live API, with the `ws` package: upgrades arriving at the
 * HTTP server are handed to the app as Requests, and the app accepts them through
 * `LivePlatform.accept`; Gemini is reached with `ws`'s client, whose refused upgrades come back
 * as the HTTP answer they were.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { eventSocket, type LiveConnect, type LivePlatform } from "../../shared/live/socket.ts";

/** How long a connect to Gemini may take before it counts as a connect error. */
const connectTimeoutMs = 15_000;

/** The raw parts of an upgrade, found again from the Request the app was given. */
interface PendingUpgrade {
  incoming: IncomingMessage;
  socket: Duplex;
  head: Buffer;
}

/** Upgrades waiting for the app's answer, and the responses that mean "accepted". */
export class NodeUpgrades implements LivePlatform {
  readonly #server = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  readonly #pending = new WeakMap<Request, PendingUpgrade>();
  readonly #accepted = new WeakSet<Response>();

  /** Remembers the raw upgrade behind `request`. */
  register(request: Request, upgrade: PendingUpgrade): void {
    this.#pending.set(request, upgrade);
  }

  /** True when `response` is the app's "accepted" answer: the socket already speaks WebSocket. */
  wasAccepted(response: Response): boolean {
    return this.#accepted.has(response);
  }

  /** Tells every open Live client that the server is going away (1001), on shutdown. */
  closeAll(): void {
    for (const client of this.#server.clients) client.close(1001, "gemrelay is shutting down");
  }

  async accept(request: Request): Promise<{ socket: ReturnType<typeof eventSocket>; response: Response }> {
    const upgrade = this.#pending.get(request);
    if (upgrade === undefined) throw new Error("No pending WebSocket upgrade for this request.");
    const webSocket = await new Promise<WebSocket>((resolve, reject) => {
      // `ws` answers a malformed handshake itself and never calls back: the socket closes instead.
      const onClose = () => reject(new Error("The WebSocket handshake was refused."));
      upgrade.socket.once("close", onClose);
      this.#server.handleUpgrade(upgrade.incoming, upgrade.socket, upgrade.head, (accepted) => {
        upgrade.socket.off("close", onClose);
        resolve(accepted);
      });
    });
    webSocket.binaryType = "arraybuffer";
    // Not a response to send: the marker that the 101 has gone out (http-server.ts).
    const response = new Response(null, { status: 204 });
    this.#accepted.add(response);
    return { socket: eventSocket(webSocket), response };
  }
}

/** Opens a WebSocket to Gemini; a refused upgrade resolves with its HTTP answer. */
export const nodeLiveConnect: LiveConnect = (url, headers) =>
  new Promise((resolve, reject) => {
    const webSocket = new WebSocket(url, { headers: Object.fromEntries(headers), handshakeTimeout: connectTimeoutMs, perMessageDeflate: false });
    webSocket.binaryType = "arraybuffer";
    webSocket.once("open", () => resolve({ socket: eventSocket(webSocket) }));
    webSocket.once("unexpected-response", (_request, response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const headers = new Headers();
        const type = response.headers["content-type"];
        if (typeof type === "string") headers.set("content-type", type);
        resolve({ refused: new Response(Buffer.concat(chunks), { status: response.statusCode && response.statusCode >= 200 ? response.statusCode : 502, headers }) });
      });
      response.on("error", reject);
    });
    webSocket.once("error", reject);
  });

/** Writes an HTTP answer onto a raw socket whose upgrade the app refused, then closes it. */
export async function refuseUpgrade(socket: Duplex, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const lines = [`HTTP/1.1 ${response.status} ${response.statusText || "Refused"}`];
  response.headers.forEach((value, name) => {
    if (!["content-length", "connection", "transfer-encoding"].includes(name)) lines.push(`${name}: ${value}`);
  });
  lines.push(`content-length: ${body.byteLength}`, "connection: close", "", "");
  socket.end(Buffer.concat([Buffer.from(lines.join("\r\n")), body]));
}
