/**
 * Loopback harness for the egress tests: a fake Gemini upstream that records what reaches it and
 * lets a test script its answer, and a real Node HTTP server in front of a fetch handler.
 */
import { serve } from "@hono/node-server";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the fake upstream received it. */
export interface Received {
  method: string;
  /** Path and query exactly as sent on the request line. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The whole body (filled by the default handler, or by `readBody`). */
  body: string;
}

/** Scripts the fake upstream's answer to one request. */
export type UpstreamHandler = (request: IncomingMessage, response: ServerResponse, received: Received) => void | Promise<void>;

/** A running fake upstream. */
export interface FakeUpstream {
  url: string;
  received: Received[];
  /** Replace to script answers; the default reads the body and answers 200 `{"ok":true}`. */
  handle: UpstreamHandler;
  close(): Promise<void>;
}

/** Reads a Node request body to the end as UTF-8. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}

/** The default upstream answer: records the body, replies 200 JSON. */
export const answerOk: UpstreamHandler = async (request, response, received) => {
  received.body = await readBody(request);
  response.writeHead(200, { "content-type": "application/json; charset=UTF-8" });
  response.end('{"ok":true}');
};

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function shut(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Starts a fake upstream on a loopback port. */
export async function startUpstream(): Promise<FakeUpstream> {
  const upstream: FakeUpstream = {
    url: "",
    received: [],
    handle: answerOk,
    close: () => shut(server),
  };
  const server = createServer((request, response) => {
    const received: Received = { method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: "" };
    upstream.received.push(received);
    void Promise.resolve(upstream.handle(request, response, received)).catch(() => response.destroy());
  });
  upstream.url = `http://127.0.0.1:${await listen(server)}`;
  return upstream;
}

/** A fetch handler served by a real Node HTTP server on loopback. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `handler` with @hono/node-server, as the Node runtimes of Netlify and Vercel would. */
export async function startServer(handler: (request: Request) => Promise<Response>): Promise<RunningServer> {
  const server = serve({ fetch: handler, port: 0, hostname: "127.0.0.1", overrideGlobalObjects: false }) as Server;
  if (!server.listening) await new Promise((resolve) => server.once("listening", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => shut(server) };
}

/** A loopback URL nothing listens on (a port that was just freed). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  const port = await listen(server);
  await shut(server);
  return `http://127.0.0.1:${port}`;
}

/** A promise with its resolver, for making one side wait for the other (no timing guesses). */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** Fails with `message` when `promise` has not settled after `ms` (deadlock guard, not a measurement). */
export function within<T>(promise: Promise<T>, message: string, ms = 5_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}
