/**
 * The worker's WebSockets for the Live API: a client upgrade is accepted with a WebSocketPair
 * (the client end goes back in the 101 response), and Gemini is reached with `fetch` and an
 * `Upgrade: websocket` header, whose Response carries the socket when the upgrade succeeded.
 * https://developers.cloudflare.com/workers/runtime-apis/websockets/
 */
import { eventSocket, type EventSocket, type LiveConnect, type LivePlatform } from "../../shared/live/socket.ts";

/** A workerd WebSocket: the standard one plus `accept()`, which starts delivery of its events. */
interface WorkerSocket extends EventSocket {
  accept(): void;
  /** Newer compatibility dates deliver binary frames as Blob by default; the relay wants bytes. */
  binaryType: "arraybuffer" | "blob";
}

declare const WebSocketPair: new () => { 0: WorkerSocket; 1: WorkerSocket };

/** Accepts client upgrades with a WebSocketPair. */
export const workerLivePlatform: LivePlatform = {
  accept(): Promise<{ socket: ReturnType<typeof eventSocket>; response: Response }> {
    const pair = new WebSocketPair();
    const client = pair[0];
    const server = pair[1];
    server.binaryType = "arraybuffer";
    server.accept();
    const init = { status: 101, webSocket: client } as ResponseInit & { webSocket: WorkerSocket };
    return Promise.resolve({ socket: eventSocket(server), response: new Response(null, init) });
  },
};

/** Opens a WebSocket to Gemini with fetch; a refused upgrade resolves with its HTTP answer. */
export const workerLiveConnect: LiveConnect = async (url, headers) => {
  const upgrade = new Headers(headers);
  upgrade.set("upgrade", "websocket");
  const response = (await fetch(url.replace(/^ws/, "http"), { headers: upgrade })) as Response & { webSocket?: WorkerSocket | null };
  const socket = response.webSocket;
  if (!socket) return { refused: response };
  socket.binaryType = "arraybuffer";
  socket.accept();
  return { socket: eventSocket(socket) };
};
