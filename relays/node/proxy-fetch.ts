/**
 * The self-host's egress through a proxy: the same node:http keep-alive fetch as the direct
 * egress (http-fetch.ts), over agents whose connections are tunnels through an HTTP(S) proxy
 * (CONNECT, optionally with Basic credentials) or a SOCKS5 proxy (the `socks` package, optionally
 * with username/password). The agents pool the tunnelled sockets, so each proxy keeps its own
 * keep-alive connections, and answers stream unbuffered exactly as on the direct egress.
 * Credentials go only into the handshake, never into an error message.
 */
import http from "node:http";
import https from "node:https";
import { lookup } from "node:dns/promises";
import { isIP, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { SocksClient } from "socks";
import { createNodeFetch, type Agents } from "./http-fetch.ts";

/** How long a proxy may take to set up a tunnel before the attempt counts as a connect error. */
const tunnelTimeoutMs = 15_000;

type Connected = (error: Error | null, socket: Duplex) => void;

function credentials(proxy: URL): { user: string; password: string } | null {
  if (proxy.username === "" && proxy.password === "") return null;
  return { user: decodeURIComponent(proxy.username), password: decodeURIComponent(proxy.password) };
}

/** A tunnel through an HTTP(S) proxy with CONNECT. */
function connectTunnel(proxy: URL, host: string, port: number): Promise<Socket> {
  const authority = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const login = credentials(proxy);
  const headers: Record<string, string> = { host: authority };
  if (login) headers["proxy-authorization"] = `Basic ${Buffer.from(`${login.user}:${login.password}`).toString("base64")}`;
  const secure = proxy.protocol === "https:";
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request({
      host: proxy.hostname.replace(/^\[|\]$/g, ""),
      port: Number(proxy.port || (secure ? 443 : 80)),
      method: "CONNECT",
      path: authority,
      headers,
      agent: false,
      timeout: tunnelTimeoutMs,
    });
    request.once("connect", (response, socket) => {
      if (response.statusCode === 200) return resolve(socket);
      socket.destroy();
      reject(Object.assign(new Error(`the proxy refused CONNECT (HTTP ${response.statusCode ?? 0})`), { code: "EPROXYREFUSED" }));
    });
    request.once("timeout", () => request.destroy(Object.assign(new Error("the proxy did not open a tunnel in time"), { code: "ETIMEDOUT" })));
    // The proxy's own error (refused connection, reset), without the URL that carries the credentials.
    request.once("error", (error: NodeJS.ErrnoException) => reject(Object.assign(new Error(`proxy connection failed (${error.code ?? "error"})`), { code: error.code })));
    request.end();
  });
}

/** A tunnel through a SOCKS5 proxy; `socks5:` resolves the name here, `socks5h:` lets the proxy resolve it. */
async function socksTunnel(proxy: URL, host: string, port: number): Promise<Socket> {
  const login = credentials(proxy);
  const destination = proxy.protocol === "socks5:" && isIP(host) === 0 ? (await lookup(host)).address : host;
  try {
    const { socket } = await SocksClient.createConnection({
      proxy: { host: proxy.hostname.replace(/^\[|\]$/g, ""), port: Number(proxy.port || 1080), type: 5, ...(login ? { userId: login.user, password: login.password } : {}) },
      command: "connect",
      destination: { host: destination, port },
      timeout: tunnelTimeoutMs,
    });
    return socket;
  } catch (error) {
    // The socks package's messages name no credentials, but keep ours uniform and short.
    throw Object.assign(new Error(`SOCKS5 proxy failed: ${error instanceof Error ? error.message : "error"}`), { code: "EPROXYREFUSED" });
  }
}

/** A raw connection to `host:port` through `proxy`. */
export function tunnel(proxy: URL, host: string, port: number): Promise<Socket> {
  return proxy.protocol === "socks5:" || proxy.protocol === "socks5h:" ? socksTunnel(proxy, host, port) : connectTunnel(proxy, host, port);
}

interface ConnectionOptions {
  host?: string | null;
  hostname?: string | null;
  port?: number | string | null;
  servername?: string;
}

/** Node's agents call `createConnection(options, callback)` and wait for the callback when it returns nothing. */
function tunnelledConnection(proxy: URL, secure: boolean) {
  return (options: ConnectionOptions, done: Connected): undefined => {
    const host = (options.hostname ?? options.host ?? "localhost").replace(/^\[|\]$/g, "");
    const port = Number(options.port ?? (secure ? 443 : 80));
    tunnel(proxy, host, port).then(
      (socket) => {
        if (!secure) return done(null, socket);
        const servername = options.servername ?? (isIP(host) === 0 ? host : undefined);
        const secured = tls.connect({ socket, ...(servername ? { servername } : {}), ALPNProtocols: ["http/1.1"] });
        secured.once("secureConnect", () => done(null, secured));
        secured.once("error", (error) => done(error, secured));
      },
      (error: Error) => done(error, undefined as unknown as Duplex),
    );
    return undefined;
  };
}

/** Keep-alive agents whose sockets are tunnels through `proxy` (http:, https:, socks5:, socks5h:). */
export function proxyAgents(proxy: URL): Agents {
  const plain = new http.Agent({ keepAlive: true });
  const secure = new https.Agent({ keepAlive: true });
  Object.assign(plain, { createConnection: tunnelledConnection(proxy, false) });
  Object.assign(secure, { createConnection: tunnelledConnection(proxy, true) });
  return { "http:": plain, "https:": secure };
}

/**
 * A `fetch` whose every request leaves through `proxy`. Strict: an input the node:http fetch does
 * not take is refused rather than sent on the global fetch, which would bypass the proxy.
 */
export function proxyFetch(proxy: URL): typeof fetch {
  return createNodeFetch(proxyAgents(proxy), true);
}
