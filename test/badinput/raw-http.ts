/**
 * HTTP/1.1 over a bare TCP socket, for input fetch refuses to send or would repair on the way:
 * dot segments and backslashes in paths, CR/LF/NUL in header values, lying Content-Length,
 * slow or silent clients.
 */
import { connect, type Socket } from "node:net";

/** One HTTP response as it came off the wire. */
export interface RawResponse {
  /** 0 when the server closed the connection without answering. */
  status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

/** The bytes of a request: request line, headers (a `content-length` is added for a body unless given), body. */
export function requestBytes(method: string, target: string, headers: [string, string][], body: string | Buffer = ""): Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const lines = [`${method} ${target} HTTP/1.1`, "host: 127.0.0.1", ...headers.map(([name, value]) => `${name}: ${value}`)];
  const framed = headers.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name));
  if (!framed && (bytes.length > 0 || method === "POST")) lines.push(`content-length: ${bytes.length}`);
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), bytes]);
}

/** The body of a chunked message: `chunks` chunk by chunk, then the last (empty) chunk. */
export function chunkedBody(chunks: string[]): string {
  return chunks.map((chunk) => `${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`).join("") + "0\r\n\r\n";
}

/** A response parsed from `buffer`, or null while it is still incomplete (`ended`: no more bytes will come). */
function parseResponse(buffer: Buffer, ended: boolean): RawResponse | null {
  const headerEnd = buffer.indexOf("\r\n\r\n");
  if (headerEnd === -1) return ended ? { status: 0, headers: {}, body: buffer.toString("latin1") } : null;
  const [statusLine = "", ...lines] = buffer.subarray(0, headerEnd).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const status = Number(statusLine.split(" ")[1] ?? 0);
  let rest = buffer.subarray(headerEnd + 4);
  if (headers["content-length"] !== undefined) {
    const length = Number(headers["content-length"]);
    return rest.length >= length ? { status, headers, body: rest.subarray(0, length).toString() } : null;
  }
  if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
    const chunks: Buffer[] = [];
    for (;;) {
      const lineEnd = rest.indexOf("\r\n");
      if (lineEnd === -1) return null;
      const size = parseInt(rest.subarray(0, lineEnd).toString(), 16);
      if (size === 0) return { status, headers, body: Buffer.concat(chunks).toString() };
      if (rest.length < lineEnd + 2 + size + 2) return null;
      chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      rest = rest.subarray(lineEnd + 2 + size + 2);
    }
  }
  return ended || status === 204 || status === 304 ? { status, headers, body: rest.toString() } : null;
}

/** Opens a connection to `url`'s host and port; resolves once connected. */
export function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves with the first response read from `socket` (or status 0 if it closes first); rejects after `timeoutMs`. */
export function readResponse(socket: Socket, timeoutMs = 5_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const finish = (ended: boolean) => {
      const response = parseResponse(buffer, ended);
      if (response === null) return;
      clearTimeout(timer);
      socket.off("data", onData);
      resolve(response);
    };
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      finish(false);
    };
    const timer = setTimeout(() => reject(new Error(`no complete response within ${timeoutMs} ms; got ${JSON.stringify(buffer.toString("latin1").slice(0, 300))}`)), timeoutMs);
    socket.on("data", onData);
    socket.once("close", () => finish(true));
    // A server that answers before reading the whole body may reset the connection under our writes.
    socket.on("error", () => undefined);
  });
}

/** Sends `bytes` on a fresh connection and resolves with the response; the connection is closed after. */
export async function rawExchange(url: string, bytes: Buffer | string, timeoutMs = 5_000): Promise<RawResponse> {
  const socket = await openSocket(url);
  try {
    const response = readResponse(socket, timeoutMs);
    socket.write(bytes);
    return await response;
  } finally {
    socket.destroy();
  }
}

/** Resolves once `socket` is closed by the other side, with what it received before. */
export function closed(socket: Socket): Promise<string> {
  let received = "";
  socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
  socket.on("error", () => undefined);
  return new Promise((resolve) => (socket.destroyed ? resolve(received) : socket.once("close", () => resolve(received))));
}
