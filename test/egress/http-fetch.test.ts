/** The self-host's node:http fetch, against a local server: what the egress relies on fetch for. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeFetch } from "../../relays/node/http-fetch.ts";
import { freePort } from "../helpers/process.ts";

let server: Server;
let base: string;
/** The local port each request came from: the same one twice means a kept-alive connection. */
const clientPorts: number[] = [];
/** Releases the paced route's second event. */
let release: () => void = () => undefined;

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
  clientPorts.push(request.socket.remotePort ?? 0);
  const body = await bodyOf(request);
  if (request.url === "/echo") {
    response.writeHead(201, { "content-type": "application/json", "x-multi": ["a", "b"] });
    response.end(JSON.stringify({ method: request.method, headers: request.headers, body }));
  } else if (request.url === "/paced") {
    response.writeHead(200, { "content-type": "text/event-stream" });
    response.write("data: 1\r\n\r\n");
    release = () => response.end("data: 2\r\n\r\n");
  } else if (request.url === "/gzip") {
    response.writeHead(200, { "content-encoding": "gzip" });
    response.end(gzipSync("unzipped"));
  } else if (request.url === "/cut") {
    response.writeHead(200, { "content-type": "text/event-stream" });
    response.write("data: 1\r\n\r\n", () => response.socket?.destroy());
  } else {
    response.writeHead(204).end();
  }
}

beforeAll(async () => {
  server = createServer((request, response) => void answer(request, response));
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

describe("nodeFetch", () => {
  it("sends method, headers and a byte body; returns status, headers and body", async () => {
    const body = new TextEncoder().encode('{"a":1}');
    const response = await nodeFetch(`${base}/echo`, { method: "POST", headers: new Headers({ "x-goog-api-key": "k", "content-type": "application/json" }), body: body.buffer });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-multi")).toBe("a, b");
    const echoed = (await response.json()) as { method: string; headers: Record<string, string>; body: string };
    expect(echoed).toMatchObject({ method: "POST", body: '{"a":1}' });
    expect(echoed.headers).toMatchObject({ "x-goog-api-key": "k", "content-length": "7", "accept-encoding": "identity" });
  });

  it("keeps the connection alive between requests", async () => {
    clientPorts.length = 0;
    await (await nodeFetch(`${base}/echo`)).text();
    await (await nodeFetch(`${base}/echo`)).text();
    expect(clientPorts[0]).toBe(clientPorts[1]);
  });

  it("streams a request body given as a stream", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("part one, "));
        controller.enqueue(new TextEncoder().encode("part two"));
        controller.close();
      },
    });
    const response = await nodeFetch(`${base}/echo`, { method: "POST", body, duplex: "half" } as RequestInit);
    expect(((await response.json()) as { body: string }).body).toBe("part one, part two");
  });

  it("hands each chunk of the body on as it arrives", async () => {
    const response = await nodeFetch(`${base}/paced`);
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: 1\r\n\r\n");
    release();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: 2\r\n\r\n");
    expect((await reader.read()).done).toBe(true);
  });

  it("decodes a compressed body it did not ask for", async () => {
    expect(await (await nodeFetch(`${base}/gzip`)).text()).toBe("unzipped");
  });

  it("answers null-body statuses without a body", async () => {
    const response = await nodeFetch(`${base}/none`);
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  it("fails the body of a connection cut before its end, never a clean end", async () => {
    const response = await nodeFetch(`${base}/cut`);
    await expect(response.text()).rejects.toThrow();
  });

  it("fails with the abort reason, before and after the response", async () => {
    const early = new AbortController();
    early.abort(new Error("gone early"));
    await expect(nodeFetch(`${base}/echo`, { signal: early.signal })).rejects.toThrow("gone early");

    const late = new AbortController();
    const response = await nodeFetch(`${base}/paced`, { signal: late.signal });
    const reader = response.body!.getReader();
    await reader.read();
    late.abort(new Error("gone late"));
    await expect(reader.read()).rejects.toThrow("gone late");
  });

  it("rejects with the system error code when nothing listens", async () => {
    const port = await freePort();
    const error: unknown = await nodeFetch(`http://127.0.0.1:${port}/`).catch((caught: unknown) => caught);
    expect((error as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
  });
});
