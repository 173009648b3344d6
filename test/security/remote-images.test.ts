/**
 * Issue #14 finding 6: remote `image_url`s cannot reach internal addresses and cannot amplify a
 * small request into a large download or upstream body. On the self-host the resolver is made to
 * lie (fake-dns.mjs, preloaded into the unchanged bundle) so that allow-listed, public-looking
 * names resolve to loopback, which the connection's lookup hook must refuse; the worker under
 * workerd gets its image hosts from miniflare's outbound service, which serves large and endless
 * images so that the count and byte limits are exercised on real downloads.
 */
import { once } from "node:events";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GeminiSimulator } from "../sim/index.ts";
import { startWorker } from "../helpers/chain.ts";
import { startSelfHost, temporaryDirectory, type Child } from "../helpers/process.ts";

const accessKey = "sk-remote-images-access-0123456789";
const adminKey = "admin-remote-images-0123456789";
const fakeDns = fileURLToPath(new URL("./fake-dns.mjs", import.meta.url));

/** A chat request whose user message carries `urls` as remote images. */
function chatWith(urls: readonly string[]): string {
  const images = urls.map((url) => ({ type: "image_url", image_url: { url } }));
  return JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "user", content: [{ type: "text", text: "describe" }, ...images] }] });
}

async function postChat(base: string, urls: readonly string[]): Promise<{ status: number; error: { message: string; code: string | null; param: string | null; type: string } | undefined; text: string }> {
  const response = await fetch(`${base}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${accessKey}`, "content-type": "application/json" }, body: chatWith(urls) });
  const text = await response.text();
  let parsed: { error?: { message: string; code: string | null; param: string | null; type: string } } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // Not JSON: left for the status assertion to report.
  }
  return { status: response.status, error: parsed.error, text };
}

/** A TCP listener on loopback that only counts who connects (any connection is an SSRF that got through). */
async function connectionCounter(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    count += 1;
    sockets.add(socket);
    socket.destroy();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

const imageParam = (index: number) => `messages[0].content[${index + 1}].image_url.url`;

describe("remote images on the self-host: the address a name resolves to is checked on the connection", () => {
  let sim: GeminiSimulator;
  let counter: Awaited<ReturnType<typeof connectionCounter>>;
  let target: Child & { url: string };

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    counter = await connectionCounter();
    const dataDir = temporaryDirectory();
    target = await startSelfHost({
      DATA_DIR: dataDir,
      KEYS_FILE: join(dataDir, "keys.txt"),
      AUTH_KEY: accessKey,
      ADMIN_KEY: adminKey,
      GEMINI_API_KEYS: sim.createKey(),
      GEMINI_UPSTREAM: sim.url,
      OPENAI_IMAGE_URL_ALLOWLIST: "images.example.com,*.cdn.example.org,127.0.0.1,[::1],10.0.0.7",
      NODE_OPTIONS: `--import ${fakeDns}`,
      GEMRELAY_TEST_FAKE_DNS: JSON.stringify({
        "images.example.com": "127.0.0.1",
        "v4.cdn.example.org": "127.0.0.2",
        "mapped.cdn.example.org": "::ffff:127.0.0.1",
        "v6.cdn.example.org": "::1",
        "private.cdn.example.org": "10.1.2.3",
        "metadata.cdn.example.org": "169.254.169.254",
        "nat64.cdn.example.org": "64:ff9b::7f00:1",
      }),
    });
  });

  afterAll(async () => {
    await target.stop();
    await counter.close();
    await sim.close();
    const logs = target.output();
    expect(logs).not.toMatch(/"event":"unhandled"/);
  });

  it("refuses an allow-listed name that resolves to an internal address, without connecting", async () => {
    const names = ["images.example.com", "v4.cdn.example.org", "mapped.cdn.example.org", "v6.cdn.example.org", "private.cdn.example.org", "metadata.cdn.example.org", "nat64.cdn.example.org"];
    for (const name of names) {
      const answer = await postChat(target.url, [`https://${name}:${counter.port}/cat.png`]);
      expect(answer.status, `${name}: ${answer.text}`).toBe(400);
      expect(answer.error).toMatchObject({ type: "invalid_request_error", code: "image_url_not_allowed", param: imageParam(0) });
      expect(answer.error?.message).toMatch(/resolves to an internal address/);
      // Neither the address nor the resolver's wording reaches the client.
      expect(answer.text).not.toMatch(/127\.0\.0\.|::1|10\.1\.2\.3|169\.254/);
    }
    expect(counter.connections()).toBe(0);
    expect(sim.requests).toEqual([]);
  });

  it("refuses internal address literals, however spelled, even when allow-listed", async () => {
    for (const host of ["127.0.0.1", "127.1", "2130706433", "0x7f.1", "[::1]", "10.0.0.7"]) {
      const answer = await postChat(target.url, [`https://${host}:${counter.port}/cat.png`]);
      expect(answer.status, `${host}: ${answer.text}`).toBe(400);
      expect(answer.error).toMatchObject({ code: "image_url_not_allowed", param: imageParam(0) });
    }
    expect(counter.connections()).toBe(0);
    expect(sim.requests).toEqual([]);
  });

  it("refuses more than 8 remote images before fetching any", async () => {
    const urls = Array.from({ length: 9 }, (_, index) => `https://images.example.com:${counter.port}/${index}.png`);
    const answer = await postChat(target.url, urls);
    expect(answer.status, answer.text).toBe(400);
    expect(answer.error).toMatchObject({ code: "too_many_remote_images", param: imageParam(8) });
    expect(answer.error?.message).toMatch(/at most 8 remote image URLs, and this one has 9/);
    expect(counter.connections()).toBe(0);
    expect(sim.requests).toEqual([]);
  });

  it("still serves a request without remote images", async () => {
    const response = await fetch(`${target.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${accessKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hello" }] }),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Echo: hello");
  });
});

describe("remote images on the worker under workerd: counts and bytes on real downloads", () => {
  const maxBodyBytes = 1024 * 1024;
  let sim: GeminiSimulator;
  let worker: Awaited<ReturnType<typeof startWorker>>;
  /** Image requests the worker made, by path. */
  const fetched: string[] = [];
  /** Bytes the endless image handed out before the worker stopped reading. */
  let endlessBytes = 0;

  const image = (bytes: number) => new Uint8Array(bytes).fill(7);
  const serveImage = (url: URL): Response => {
    fetched.push(url.pathname);
    const size = /^\/(\d+)\.png$/.exec(url.pathname)?.[1];
    if (size) return new Response(image(Number(size)), { headers: { "content-type": "image/png" } });
    if (url.pathname === "/endless.png") {
      const chunk = image(64 * 1024);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (endlessBytes >= 50 * 1024 * 1024) return controller.close();
          endlessBytes += chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
      return new Response(body, { headers: { "content-type": "image/png" } });
    }
    if (url.pathname === "/moved.png") return new Response(null, { status: 302, headers: { location: "http://127.0.0.1:1/" } });
    return new Response("not found", { status: 404 });
  };

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    worker = await startWorker(
      {
        AUTH_KEY: accessKey,
        ADMIN_KEY: adminKey,
        GEMINI_API_KEYS: sim.createKey(),
        GEMINI_UPSTREAM: sim.url,
        MAX_BODY_BYTES: String(maxBodyBytes),
        OPENAI_IMAGE_URL_ALLOWLIST: "images.example.com,127.0.0.1",
      },
      undefined,
      undefined,
      async (request) => {
        const url = new URL(request.url);
        if (url.hostname === "images.example.com") return serveImage(url);
        // Everything else (the simulator) goes out as asked.
        const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
        return fetch(request.url, { method: request.method, headers: request.headers, body, redirect: "manual" });
      },
    );
  });

  afterAll(async () => {
    await worker.stop();
    await sim.close();
  });

  const generateCalls = () => sim.requests.filter((request) => request.action === "streamGenerateContent");

  it("fetches images that fit and keeps the upstream body within MAX_BODY_BYTES", async () => {
    fetched.length = 0;
    sim.reset();
    const answer = await postChat(worker.url, ["https://images.example.com/300000.png", "https://images.example.com/300001.png"]);
    expect(answer.status, answer.text).toBe(200);
    const [call] = generateCalls();
    const parts = (call?.body as { contents: { parts: { inlineData?: { mimeType: string; data: string } }[] }[] }).contents[0]!.parts;
    expect(parts.filter((part) => part.inlineData).map((part) => [part.inlineData!.mimeType, atob(part.inlineData!.data).length])).toEqual([
      ["image/png", 300_000],
      ["image/png", 300_001],
    ]);
    expect(Buffer.byteLength(call!.rawBody)).toBeLessThanOrEqual(maxBodyBytes);
  });

  it("refuses the image that would take the upstream body over MAX_BODY_BYTES, and sends nothing upstream", async () => {
    fetched.length = 0;
    sim.reset();
    const answer = await postChat(worker.url, ["https://images.example.com/300000.png", "https://images.example.com/300001.png", "https://images.example.com/300002.png"]);
    expect(answer.status, answer.text).toBe(400);
    expect(answer.error).toMatchObject({ type: "invalid_request_error", code: "request_too_large", param: imageParam(2) });
    expect(answer.error?.message).toContain(`limit of ${maxBodyBytes} bytes (MAX_BODY_BYTES)`);
    expect(generateCalls()).toEqual([]);
  });

  it("counts bytes while downloading: an image without Content-Length that never ends is refused", async () => {
    fetched.length = 0;
    endlessBytes = 0;
    sim.reset();
    const answer = await postChat(worker.url, ["https://images.example.com/endless.png"]);
    expect(answer.status, answer.text).toBe(400);
    expect(answer.error).toMatchObject({ code: "request_too_large", param: imageParam(0) });
    // How early the reader stops is measured on a socket in remote-image-limits.test.ts:
    // miniflare's outbound service reads a response whole before workerd sees it.
    expect(generateCalls()).toEqual([]);
  });

  it("refuses more than 8 remote images before fetching any", async () => {
    fetched.length = 0;
    sim.reset();
    const answer = await postChat(worker.url, Array.from({ length: 9 }, (_, index) => `https://images.example.com/${index + 10}.png`));
    expect(answer.status, answer.text).toBe(400);
    expect(answer.error).toMatchObject({ code: "too_many_remote_images", param: imageParam(8) });
    expect(fetched).toEqual([]);
    expect(generateCalls()).toEqual([]);
  });

  it("never follows a redirect, and refuses internal literals without fetching", async () => {
    fetched.length = 0;
    sim.reset();
    const moved = await postChat(worker.url, ["https://images.example.com/moved.png"]);
    expect(moved.status, moved.text).toBe(400);
    expect(moved.error).toMatchObject({ code: "image_fetch_failed", param: imageParam(0) });
    expect(moved.error?.message).toMatch(/HTTP 302 \(redirects are not followed\)/);
    expect(fetched).toEqual(["/moved.png"]);
    const literal = await postChat(worker.url, ["https://127.0.0.1/x.png"]);
    expect(literal.status, literal.text).toBe(400);
    expect(literal.error).toMatchObject({ code: "image_url_not_allowed" });
    expect(generateCalls()).toEqual([]);
  });
});
