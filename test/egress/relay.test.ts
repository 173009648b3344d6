/** The egress relay over real loopback HTTP: client → relay (Node server) → fake Gemini upstream. */
import { request as httpRequest } from "node:http";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRelayHandler, type RelayOptions } from "../../shared/egress/relay.ts";
import { deadUrl, deferred, readBody, startServer, startUpstream, within, type FakeUpstream, type RunningServer } from "./harness.ts";

const token = "relay-token-0123456789abcdef";
const key = "AIzaSyTESTKEY0000000000000000000000000";
const streamPath = "/v1beta/models/gemini-2.5-flash:streamGenerateContent";

let upstream: FakeUpstream;
let relay: RunningServer | undefined;

async function startRelay(overrides: Partial<RelayOptions> = {}): Promise<string> {
  relay = await startServer(
    createRelayHandler({ relayToken: token, upstream: upstream.url, platform: "test", region: "r1", ...overrides }),
  );
  return relay.url;
}

function post(url: string, headers: Record<string, string> = {}, body = '{"contents":[]}'): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
}

beforeEach(async () => {
  upstream = await startUpstream();
});

afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await upstream.close();
});

describe("health", () => {
  it("answers ok with platform and region, without auth and without secrets", async () => {
    const base = await startRelay();
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ ok: true, platform: "test", region: "r1" });
    expect(text).not.toContain(token);
    expect(response.headers.get("x-gemrelay-relay")).toBe("test:r1");
    expect(upstream.received).toHaveLength(0);
  });

  it("answers under a path prefix", async () => {
    const base = await startRelay();
    const response = await fetch(`${base}/hop/a/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true });
  });

  it("reports not ok (503) when RELAY_TOKEN is unset", async () => {
    const base = await startRelay({ relayToken: undefined });
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ ok: false, platform: "test", region: "r1", error: "RELAY_TOKEN is not set" });
  });
});

describe("hop secret", () => {
  it("refuses every forward with 503 when RELAY_TOKEN is not configured (never an open proxy)", async () => {
    for (const relayToken of [undefined, ""]) {
      const base = await startRelay({ relayToken });
      const response = await post(`${base}${streamPath}?alt=sse&key=${key}`, { "x-relay-token": "anything" });
      expect(response.status).toBe(503);
      expect(response.headers.get("x-gemrelay-fault")).toBe("relay");
      const body = (await response.json()) as { error: { code: number; status: string; message: string } };
      expect(body.error).toMatchObject({ code: 503, status: "UNAVAILABLE" });
      expect(body.error.message).toContain("RELAY_TOKEN");
      await relay?.close();
      relay = undefined;
    }
    expect(upstream.received).toHaveLength(0);
  });

  it("answers 401 in Gemini's error shape for a missing or wrong token, and never calls upstream", async () => {
    const base = await startRelay();
    const attempts: Record<string, string>[] = [{}, { "x-relay-token": "wrong" }, { "x-relay-token": `${token}x` }, { "x-relay-token": token.slice(0, -1) }];
    for (const headers of attempts) {
      const response = await post(`${base}${streamPath}?alt=sse`, { "x-goog-api-key": key, ...headers });
      expect(response.status).toBe(401);
      expect(response.headers.get("x-gemrelay-fault")).toBe("relay");
      const text = await response.text();
      expect(text).not.toContain(token);
      expect(text).not.toContain(key);
      const body = JSON.parse(text) as { error: { code: number; status: string; message: string } };
      expect(body.error).toMatchObject({ code: 401, status: "UNAUTHENTICATED" });
      expect(body.error.message).toContain("hop secret");
    }
    expect(upstream.received).toHaveLength(0);
  });

  it("answers 404 Gemini-shaped for paths outside the Gemini API", async () => {
    const base = await startRelay();
    for (const path of ["/", "/api/keys", "/v2/models", "/v1betax/models"]) {
      const response = await fetch(`${base}${path}`, { headers: { "x-relay-token": token } });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: 404, status: "NOT_FOUND" } });
    }
    expect(upstream.received).toHaveLength(0);
  });
});

describe("forwarding", () => {
  it("keeps path and query verbatim minus key and platform parameters; the key goes in x-goog-api-key", async () => {
    const base = await startRelay();
    const body = '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}';
    const response = await post(
      `${base}${streamPath}?alt=sse&key=${key}&$fields=a%2Cb&_path=%2Fv1beta%2Fx&pageSize=5&path=a%2Fb`,
      { "x-relay-token": token },
      body,
    );
    expect(response.status).toBe(200);
    expect(upstream.received).toHaveLength(1);
    const [received] = upstream.received;
    expect(received?.method).toBe("POST");
    expect(received?.url).toBe(`${streamPath}?alt=sse&$fields=a%2Cb&pageSize=5`);
    expect(received?.headers["x-goog-api-key"]).toBe(key);
    expect(received?.body).toBe(body);
  });

  it("moves a Bearer key to x-goog-api-key on native paths and drops Authorization", async () => {
    const base = await startRelay();
    await post(`${base}${streamPath}?alt=sse`, { "x-relay-token": token, authorization: `Bearer ${key}` });
    const [received] = upstream.received;
    expect(received?.headers["x-goog-api-key"]).toBe(key);
    expect(received?.headers.authorization).toBeUndefined();
  });

  it("prefers x-goog-api-key over ?key=", async () => {
    const base = await startRelay();
    await post(`${base}${streamPath}?key=other`, { "x-relay-token": token, "x-goog-api-key": key });
    expect(upstream.received[0]?.headers["x-goog-api-key"]).toBe(key);
    expect(upstream.received[0]?.url).toBe(streamPath);
  });

  it("sends the key as Authorization: Bearer on /v1beta/openai/*", async () => {
    const base = await startRelay();
    await post(`${base}/v1beta/openai/chat/completions`, { "x-relay-token": token, authorization: `Bearer ${key}` });
    await post(`${base}/v1beta/openai/chat/completions?key=${key}`, { "x-relay-token": token });
    for (const received of upstream.received) {
      expect(received.url).toBe("/v1beta/openai/chat/completions");
      expect(received.headers.authorization).toBe(`Bearer ${key}`);
      expect(received.headers["x-goog-api-key"]).toBeUndefined();
    }
  });

  it("forwards GET without a body", async () => {
    const base = await startRelay();
    const response = await fetch(`${base}/v1beta/models?pageSize=2&key=${key}`, { headers: { "x-relay-token": token } });
    expect(response.status).toBe(200);
    expect(upstream.received[0]).toMatchObject({ method: "GET", url: "/v1beta/models?pageSize=2", body: "" });
  });

  it("keeps a path prefix of the upstream URL (no double slashes)", async () => {
    const base = await startRelay({ upstream: `${upstream.url}/hop/a/` });
    await post(`${base}${streamPath}?alt=sse`, { "x-relay-token": token, "x-goog-api-key": key });
    expect(upstream.received[0]?.url).toBe(`/hop/a${streamPath}?alt=sse`);
  });

  it("works when the relay itself sits under a path prefix", async () => {
    const base = await startRelay();
    await post(`${base}/some/prefix${streamPath}?alt=sse`, { "x-relay-token": token, "x-goog-api-key": key });
    await post(`${base}/some/prefix/upload/v1beta/files?uploadType=media`, { "x-relay-token": token, "x-goog-api-key": key });
    expect(upstream.received.map((received) => received.url)).toEqual([`${streamPath}?alt=sse`, "/upload/v1beta/files?uploadType=media"]);
  });
});

describe("request headers", () => {
  it("forwards only whitelisted headers, whatever the client sends", async () => {
    const base = await startRelay();
    const sent: Record<string, string> = {
      connection: "upgrade",
      upgrade: "websocket",
      "keep-alive": "timeout=5",
      te: "trailers",
      "proxy-authorization": "Basic c2VjcmV0",
      "x-forwarded-for": "203.0.113.7",
      "x-forwarded-host": "client.example",
      "x-forwarded-proto": "https",
      forwarded: "for=203.0.113.7",
      "x-real-ip": "203.0.113.7",
      "cf-connecting-ip": "203.0.113.7",
      "cf-ray": "abc",
      "cf-ipcountry": "HK",
      cookie: "session=secret",
      origin: "https://client.example",
      referer: "https://client.example/page",
      "user-agent": "google-genai-sdk/1.0 identifying-client",
      "x-nf-client-connection-ip": "203.0.113.7",
      "x-vercel-id": "hkg1::abc",
      "x-stainless-os": "Linux",
      "accept-encoding": "zstd",
      accept: "text/event-stream",
      "x-relay-token": token,
      "x-goog-api-key": key,
      "x-goog-api-client": "google-genai-sdk/1.0 gl-node/20",
      "content-type": "application/json",
    };
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${base}${streamPath}?alt=sse`);
      const request = httpRequest({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: "POST", headers: sent }, (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      });
      request.on("error", reject);
      request.end("{}");
    });
    expect(status).toBe(200);
    const headers = upstream.received[0]?.headers ?? {};
    // Whatever arrives is either whitelisted or added by the relay's own fetch (undici's defaults).
    const allowed = new Set([
      "host",
      "connection",
      "content-length",
      "transfer-encoding",
      "content-type",
      "x-goog-api-key",
      "x-goog-api-client",
      "accept",
      "accept-language",
      "sec-fetch-mode",
      "user-agent",
      "accept-encoding",
    ]);
    expect(Object.keys(headers).filter((name) => !allowed.has(name))).toEqual([]);
    expect(headers["x-goog-api-key"]).toBe(key);
    expect(headers["x-goog-api-client"]).toBe("google-genai-sdk/1.0 gl-node/20");
    expect(headers["content-type"]).toBe("application/json");
    expect(headers.connection).not.toMatch(/upgrade/i);
    expect(headers["user-agent"]).not.toContain("identifying-client");
    expect(headers["accept-encoding"]).not.toContain("zstd");
    expect(headers.accept).not.toBe("text/event-stream");
    expect(JSON.stringify(headers)).not.toContain(token);
    expect(JSON.stringify(headers)).not.toContain("203.0.113.7");
  });
});

describe("responses", () => {
  it("keeps the upstream status and body verbatim (429) and scrubs headers", async () => {
    const errorBody = '{\n  "error": {\n    "code": 429,\n    "message": "Resource has been exhausted (e.g. check quota).",\n    "status": "RESOURCE_EXHAUSTED"\n  }\n}\n';
    upstream.handle = async (request, response) => {
      await readBody(request);
      response.writeHead(429, {
        "content-type": "application/json; charset=UTF-8",
        vary: "Origin, X-Origin, Referer",
        "x-goog-upload-status": "active",
        "set-cookie": ["NID=1; Path=/", "AEC=2; Path=/"],
        "alt-svc": 'h3=":443"; ma=2592000',
        "server-timing": "gfet4t7; dur=12",
        "x-nf-request-id": "01ABC",
        "x-vercel-cache": "MISS",
        "x-envoy-internal": "true",
        "content-length": String(Buffer.byteLength(errorBody)),
      });
      response.end(errorBody);
    };
    const base = await startRelay();
    const response = await post(`${base}${streamPath}?alt=sse`, { "x-relay-token": token, "x-goog-api-key": key });
    expect(response.status).toBe(429);
    expect(await response.text()).toBe(errorBody);
    expect(response.headers.get("content-type")).toBe("application/json; charset=UTF-8");
    expect(response.headers.get("vary")).toBe("Origin, X-Origin, Referer");
    expect(response.headers.get("x-goog-upload-status")).toBe("active");
    for (const name of ["set-cookie", "alt-svc", "server-timing", "x-nf-request-id", "x-vercel-cache", "x-envoy-internal", "content-encoding"]) {
      expect(response.headers.get(name), name).toBeNull();
    }
    expect(response.headers.get("x-gemrelay-fault")).toBeNull();
    expect(response.headers.get("x-gemrelay-relay")).toBe("test:r1");
  });

  it("drops content-encoding after the runtime decompressed the body", async () => {
    const text = "data: {\"candidates\":[]}\r\n\r\n".repeat(50);
    upstream.handle = async (request, response) => {
      await readBody(request);
      const compressed = gzipSync(text);
      response.writeHead(200, { "content-type": "text/event-stream", "content-encoding": "gzip", "content-length": String(compressed.length) });
      response.end(compressed);
    };
    const base = await startRelay();
    const response = await post(`${base}${streamPath}?alt=sse`, { "x-relay-token": token, "x-goog-api-key": key });
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(await response.text()).toBe(text);
  });

  it("answers 502 with x-gemrelay-fault: relay when the upstream is down", async () => {
    const base = await startRelay({ upstream: await deadUrl() });
    const response = await post(`${base}${streamPath}?alt=sse&key=${key}`, { "x-relay-token": token });
    expect(response.status).toBe(502);
    expect(response.headers.get("x-gemrelay-fault")).toBe("relay");
    const text = await response.text();
    expect(text).not.toContain(key);
    expect(JSON.parse(text)).toMatchObject({ error: { code: 502, status: "UNAVAILABLE" } });
  });

  it("answers 503 when GEMINI_UPSTREAM is not an http(s) URL", async () => {
    const base = await startRelay({ upstream: "ftp://example.com" });
    const response = await post(`${base}${streamPath}`, { "x-relay-token": token });
    expect(response.status).toBe(503);
    expect(response.headers.get("x-gemrelay-fault")).toBe("relay");
    expect((await fetch(`${base}/health`)).status).toBe(503);
  });
});

describe("streaming", () => {
  it("delivers the first SSE event before the upstream sends the second", async () => {
    const clientGotFirst = deferred();
    upstream.handle = async (request, response) => {
      await readBody(request);
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write('data: {"n":1}\r\n\r\n');
      await clientGotFirst.promise;
      response.end('data: {"n":2}\r\n\r\n');
    };
    const base = await startRelay();
    const response = await within(
      post(`${base}${streamPath}?alt=sse`, { "x-relay-token": token, "x-goog-api-key": key }),
      "no response headers before the upstream finished (buffering)",
    );
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes('{"n":1}')) {
      const { value, done } = await within(reader.read(), "the first event was held back until the upstream finished (buffering)");
      if (done) throw new Error("stream ended before the first event");
      seen += value;
    }
    expect(seen).not.toContain('{"n":2}');
    clientGotFirst.resolve();
    for (;;) {
      const { value, done } = await within(reader.read(), "the second event never arrived");
      if (done) break;
      seen += value;
    }
    expect(seen).toBe('data: {"n":1}\r\n\r\ndata: {"n":2}\r\n\r\n');
  });

  it("streams the request body: the upstream gets the first chunk before the client sends the second", async () => {
    const upstreamGotFirst = deferred();
    upstream.handle = async (request, response, received) => {
      for await (const chunk of request) {
        received.body += String(chunk);
        if (received.body.includes("first")) upstreamGotFirst.resolve();
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"ok":true}');
    };
    const base = await startRelay();
    const encoder = new TextEncoder();
    let step = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        step += 1;
        if (step === 1) controller.enqueue(encoder.encode('{"first":'));
        else if (step === 2) {
          await upstreamGotFirst.promise;
          controller.enqueue(encoder.encode('"second"}'));
        } else controller.close();
      },
    });
    const pending = fetch(`${base}${streamPath}?alt=sse`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-relay-token": token, "x-goog-api-key": key },
      body,
      duplex: "half",
    } as RequestInit & { duplex: "half" });
    pending.catch(() => {}); // settled by afterEach's shutdown if the guard below fails
    await within(upstreamGotFirst.promise, "the upstream did not get the first chunk while the client held the second (buffering)");
    const response = await within(pending, "no response after the body ended");
    expect(response.status).toBe(200);
    expect(upstream.received[0]?.body).toBe('{"first":"second"}');
  });

  it("closes the upstream connection when the client goes away mid-stream", async () => {
    const upstreamClosed = deferred();
    upstream.handle = async (request, response) => {
      await readBody(request);
      response.on("close", () => upstreamClosed.resolve());
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write('data: {"n":1}\r\n\r\n');
    };
    const base = await startRelay();
    const controller = new AbortController();
    const response = await within(
      fetch(`${base}${streamPath}?alt=sse`, {
        method: "POST",
        headers: { "x-relay-token": token, "x-goog-api-key": key },
        body: "{}",
        signal: controller.signal,
      }),
      "no response headers while the upstream stream is open (buffering)",
    );
    const reader = response.body!.getReader();
    await within(reader.read(), "no first chunk");
    controller.abort();
    await within(upstreamClosed.promise, "the upstream call outlived the client");
  });
});
