/**
 * The self-host's HTTP listener: Node's defences against slow and idle clients, set from the
 * environment, and every request target checked before it is turned into a URL.
 *
 * Node's timers (https://nodejs.org/api/http.html#serverheaderstimeout), checked every
 * `connectionsCheckingInterval`:
 * - headersTimeout: from the connection (or the end of the previous request) until the headers
 *   are complete. A client that connects and sends nothing, or trickles its headers (slowloris),
 *   gets `408` and is disconnected, so thousands of idle sockets do not stay open.
 * - requestTimeout: until the whole request, body included, has arrived. It never applies to the
 *   response: a streamed answer may last as long as Gemini writes.
 * - keepAliveTimeout: an idle keep-alive connection between two requests is closed after it.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import { getRequestListener, RequestError } from "@hono/node-server";
import { z } from "zod";
import { presentVariables } from "../../shared/config/variables.ts";
import { BadRequestError, GemrelayError, InternalError, geminiErrorBody, geminiErrorResponse } from "../../shared/errors.ts";
import { rewrittenPathProblem } from "../../shared/request-path.ts";
import { refuseUpgrade, type NodeUpgrades } from "./live.ts";

const environmentSchema = z.object({
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number({ message: "HTTP_HEADERS_TIMEOUT_MS must be milliseconds" }).int().min(100).default(30_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number({ message: "HTTP_REQUEST_TIMEOUT_MS must be milliseconds" }).int().min(100).default(300_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number({ message: "HTTP_KEEP_ALIVE_TIMEOUT_MS must be milliseconds" }).int().min(100).default(5_000),
});

/** How long the server waits for clients, in milliseconds. */
export interface HttpTimeouts {
  headers: number;
  request: number;
  keepAlive: number;
}

/** Reads HTTP_*_TIMEOUT_MS; throws naming the variable when one is malformed. */
export function readHttpTimeouts(env: NodeJS.ProcessEnv): HttpTimeouts {
  const parsed = environmentSchema.parse(presentVariables(env, environmentSchema));
  // Node refuses a headers timeout longer than the request timeout.
  if (parsed.HTTP_HEADERS_TIMEOUT_MS > parsed.HTTP_REQUEST_TIMEOUT_MS) throw new Error("HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS");
  return { headers: parsed.HTTP_HEADERS_TIMEOUT_MS, request: parsed.HTTP_REQUEST_TIMEOUT_MS, keepAlive: parsed.HTTP_KEEP_ALIVE_TIMEOUT_MS };
}

function refuse(outgoing: ServerResponse, error: GemrelayError): void {
  outgoing.writeHead(error.status, { "content-type": "application/json; charset=UTF-8", connection: "close" }).end(geminiErrorBody(error));
}

/**
 * @hono/node-server's own wordings of a malformed request target or Host header; any other
 * RequestError wraps an exception, whose text never reaches a client.
 */
const requestProblems: ReadonlySet<string> = new Set([
  "Backslash in request path",
  "Invalid host header",
  "Invalid URL",
  "Invalid absolute URL",
  "Missing host header",
  "Unsupported scheme",
  "Absolute URL for :path is not allowed in HTTP/2",
]);

/**
 * Serves `fetch` on `hostname:port`. The raw request target is checked before @hono/node-server
 * builds the request URL, because the URL parser resolves `..` and `%2e%2e` segments and reads
 * `\` as `/`: `/v1beta/models/../../admin` would otherwise reach the admin routes. The app checks
 * the rest of the path (shared/request-path.ts) and answers in the caller's protocol.
 */
/** What the app learns of the connection: the socket, for the client's address (a WebSocket upgrade has no response object). */
export type ConnectionBindings = { incoming: { socket: { remoteAddress?: string | undefined } } };

export async function listen(
  fetch: (request: Request, bindings: ConnectionBindings) => Promise<Response>,
  options: { port: number; hostname: string; timeouts: HttpTimeouts; upgrades?: NodeUpgrades },
): Promise<Server> {
  const handle = getRequestListener(fetch, {
    hostname: options.hostname,
    // A target or Host header no URL can be built from: say so in Gemini's shape, not an empty 400.
    errorHandler: (error) =>
      geminiErrorResponse(error instanceof RequestError ? new BadRequestError(`Malformed request${requestProblems.has(error.message) ? `: ${error.message}` : ""}.`) : new InternalError()),
  });
  const { timeouts } = options;
  const server = createServer(
    {
      headersTimeout: timeouts.headers,
      requestTimeout: timeouts.request,
      keepAliveTimeout: timeouts.keepAlive,
      // Node checks the timers every 30 s by default, which would let a short timeout run long.
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(timeouts.headers / 4))),
    },
    (incoming, outgoing) => {
      const problem = rewrittenPathProblem((incoming.url ?? "/").split("?", 1)[0] ?? "/");
      if (problem !== null) return refuse(outgoing, new BadRequestError(problem));
      void handle(incoming, outgoing);
    },
  );
  const upgrades = options.upgrades;
  // WebSocket upgrades (the Live API) reach the app as Requests too; it accepts them through
  // `upgrades` or answers them like any request, written onto the raw socket.
  if (upgrades) {
    server.on("upgrade", (incoming, socket, head: Buffer) => {
      socket.on("error", () => socket.destroy());
      const target = incoming.url ?? "/";
      const problem = rewrittenPathProblem(target.split("?", 1)[0] ?? "/");
      const headers = new Headers();
      for (const [name, value] of Object.entries(incoming.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      let request: Request;
      try {
        if (problem !== null) throw new BadRequestError(problem);
        // Joined as text: `new URL("//ws/…", base)` would read the path as a host (@google/genai sends `//ws/…`).
        if (!target.startsWith("/")) throw new BadRequestError("Malformed request.");
        request = new Request(new URL(`http://${incoming.headers.host ?? options.hostname}${target}`), { headers });
      } catch (error) {
        void refuseUpgrade(socket, geminiErrorResponse(error instanceof GemrelayError ? error : new BadRequestError("Malformed request.")));
        return;
      }
      upgrades.register(request, { incoming, socket, head });
      fetch(request, { incoming })
        .then((response) => (upgrades.wasAccepted(response) ? undefined : refuseUpgrade(socket, response)))
        .catch(() => refuseUpgrade(socket, geminiErrorResponse(new InternalError())));
    });
  }
  await new Promise<void>((done) => server.listen(options.port, options.hostname, done));
  return server;
}
