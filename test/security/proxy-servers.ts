/**
 * Real proxy servers on loopback for the proxy egress tests: an HTTP CONNECT proxy with Basic
 * auth (node:http's `connect` event) and a SOCKS5 server with username/password auth (RFC 1928,
 * RFC 1929) on node:net. Both record the destinations they tunnel to and the Gemini keys they see
 * pass through (the simulator speaks plain HTTP, so the tunnelled bytes are readable here).
 */
import http from "node:http";
import net, { type AddressInfo } from "node:net";

/** A running test proxy. */
export interface TestProxy {
  /** The proxy URL with its credentials, e.g. `socks5h://user:pass@127.0.0.1:40000`. */
  url: string;
  /** `host:port` of every tunnel opened. */
  tunnels: string[];
  /** Gemini keys seen in `x-goog-api-key` headers inside the tunnels. */
  keys: string[];
  /** Raw request heads seen inside the tunnels. */
  heads: string[];
  /** Handshakes refused for bad credentials. */
  refused: number;
  close(): Promise<void>;
}

function sniff(proxy: TestProxy, chunk: Buffer): void {
  const text = chunk.toString("latin1");
  for (const match of text.matchAll(/x-goog-api-key: *([^\r\n]+)/gi)) proxy.keys.push(match[1]!.trim());
  const end = text.indexOf("\r\n\r\n");
  if (/^[A-Z]+ \/\S* HTTP\/1\.1\r\n/.test(text) && end > 0) proxy.heads.push(text.slice(0, end));
}

function pipeTunnel(proxy: TestProxy, client: net.Socket, host: string, port: number, ready: (upstream: net.Socket) => void, failed: () => void): void {
  const upstream = net.connect(port, host, () => {
    proxy.tunnels.push(`${host}:${port}`);
    ready(upstream);
    client.on("data", (chunk: Buffer) => sniff(proxy, chunk));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  upstream.on("error", () => (failed(), client.destroy()));
  client.on("error", () => upstream.destroy());
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
}

function track(server: net.Server): () => Promise<void> {
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket: net.Socket) => (sockets.add(socket), socket.on("close", () => sockets.delete(socket))));
  return () => new Promise((done) => (server.close(() => done()), sockets.forEach((socket) => socket.destroy())));
}

/** An HTTP proxy answering CONNECT only, requiring `Proxy-Authorization: Basic user:password`. */
export async function startConnectProxy(user: string, password: string): Promise<TestProxy> {
  const server = http.createServer((_request, response) => response.writeHead(405).end());
  const close = track(server);
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as AddressInfo).port;
  const proxy: TestProxy = { url: `http://${user}:${password}@127.0.0.1:${port}`, tunnels: [], keys: [], heads: [], refused: 0, close };
  server.on("connect", (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    if (request.headers["proxy-authorization"] !== expected) {
      proxy.refused += 1;
      client.end("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    const [host = "", portText = ""] = (request.url ?? "").split(/:(?=\d+$)/);
    pipeTunnel(
      proxy,
      client,
      host,
      Number(portText),
      (upstream) => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        if (head.length > 0) (sniff(proxy, head), upstream.write(head));
      },
      () => client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n"),
    );
  });
  return proxy;
}

/** Reads exactly `size` bytes from `socket`'s stream of chunks. */
function reader(socket: net.Socket): (size: number) => Promise<Buffer> {
  let buffered = Buffer.alloc(0);
  let waiting: (() => void) | null = null;
  const onData = (chunk: Buffer) => ((buffered = Buffer.concat([buffered, chunk])), waiting?.());
  socket.on("data", onData);
  const read = async (size: number): Promise<Buffer> => {
    while (buffered.length < size) await new Promise<void>((done) => (waiting = done));
    const out = buffered.subarray(0, size);
    buffered = buffered.subarray(size);
    return out;
  };
  return Object.assign(read, { detach: () => socket.off("data", onData) });
}

/** A SOCKS5 server requiring username/password authentication (method 0x02). */
export async function startSocksProxy(user: string, password: string): Promise<TestProxy> {
  const server = net.createServer();
  const close = track(server);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as AddressInfo).port;
  const proxy: TestProxy = { url: `socks5h://${user}:${password}@127.0.0.1:${port}`, tunnels: [], keys: [], heads: [], refused: 0, close };
  server.on("connection", (client: net.Socket) => {
    client.on("error", () => undefined);
    const read = reader(client) as ((size: number) => Promise<Buffer>) & { detach(): void };
    void (async () => {
      const [, methodCount = 0] = await read(2);
      const methods = await read(methodCount);
      if (!methods.includes(0x02)) return client.end(Buffer.from([5, 0xff]));
      client.write(Buffer.from([5, 2]));
      const [, userLength = 0] = await read(2);
      const givenUser = (await read(userLength)).toString();
      const [passwordLength = 0] = await read(1);
      const givenPassword = (await read(passwordLength)).toString();
      if (givenUser !== user || givenPassword !== password) {
        proxy.refused += 1;
        return client.end(Buffer.from([1, 1]));
      }
      client.write(Buffer.from([1, 0]));
      const [, command, , type] = await read(4);
      let host = "";
      if (type === 1) host = [...(await read(4))].join(".");
      else if (type === 3) host = (await read((await read(1))[0]!)).toString();
      else host = (await read(16)).toString("hex").replace(/(.{4})(?!$)/g, "$1:");
      const destinationPort = (await read(2)).readUInt16BE(0);
      if (command !== 1) return client.end(Buffer.from([5, 7, 0, 1, 0, 0, 0, 0, 0, 0]));
      read.detach();
      pipeTunnel(
        proxy,
        client,
        host,
        destinationPort,
        () => client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0])),
        () => client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])),
      );
    })().catch(() => client.destroy());
  });
  return proxy;
}
