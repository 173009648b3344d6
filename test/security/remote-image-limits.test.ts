/**
 * Issue #14 finding 6, the byte limits on a real socket: the OpenAI mapping with the self-host's
 * node:http fetch against a loopback image server (addressed through an allow-listed https name
 * rewritten to it, since the self-host's own remote-image fetch never connects to loopback; see
 * remote-images.test.ts for that). Shows that the download stops near the limit instead of
 * after everything on offer, and that a declared length over the limit is refused unread.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultMaxBodyBytes } from "../../shared/config/env.ts";
import { readOpenAiConfig } from "../../shared/openai/config.ts";
import { OpenAiRequestError } from "../../shared/openai/errors.ts";
import { maxImageBytes } from "../../shared/openai/remote-image.ts";
import { toGenerateRequest } from "../../shared/openai/request.ts";
import { chatRequestSchema } from "../../shared/openai/schema.ts";
import { nodeFetch } from "../../relays/node/http-fetch.ts";

const config = readOpenAiConfig({ OPENAI_IMAGE_URL_ALLOWLIST: "images.example.com" });
let server: Server;
let origin = "";
/** Bytes the server wrote per path, until the client went away or the body ended. */
const written = new Map<string, number>();

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? "/";
    written.set(path, 0);
    const count = (bytes: number) => written.set(path, (written.get(path) ?? 0) + bytes);
    if (path === "/declared-huge.png") {
      response.writeHead(200, { "content-type": "image/png", "content-length": String(50 * 1024 * 1024) });
    } else {
      response.writeHead(200, { "content-type": "image/png" });
    }
    const total = path === "/eleven-mib.png" ? 11 * 1024 * 1024 : 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    const pump = () => {
      while ((written.get(path) ?? 0) < total) {
        count(chunk.byteLength);
        if (!response.write(chunk)) return void response.once("drain", pump);
      }
      response.end();
    };
    response.on("close", () => response.destroy());
    pump();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((done) => server.close(() => done())));

/** nodeFetch with the allow-listed https name pointed at the loopback server. */
const toLoopback: typeof fetch = (input, init) => nodeFetch(String(input).replace("https://images.example.com", origin), init);

async function refusal(path: string, bodyLimit: number): Promise<OpenAiRequestError> {
  const request = chatRequestSchema.parse({ model: "gemini-2.5-flash", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: `https://images.example.com${path}` } }] }] });
  const error: unknown = await toGenerateRequest(request, config, { fetch: toLoopback, bodyLimit }).then(
    () => null,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(OpenAiRequestError);
  return error as OpenAiRequestError;
}

describe("remote image bytes, counted on the socket", () => {
  it("stops reading an endless image near MAX_BODY_BYTES", async () => {
    const bodyLimit = 1024 * 1024;
    const error = await refusal("/endless.png", bodyLimit);
    expect(error).toMatchObject({ code: "request_too_large", param: "messages[0].content[0].image_url.url" });
    // Socket buffers let the server get somewhat ahead, never anywhere near the 50 MB on offer.
    expect(written.get("/endless.png")).toBeLessThan(8 * bodyLimit);
  });

  it("refuses a declared length over the limit without reading the body", async () => {
    const error = await refusal("/declared-huge.png", 1024 * 1024);
    expect(error.code).toBe("request_too_large");
    expect(written.get("/declared-huge.png")).toBeLessThan(8 * 1024 * 1024);
  });

  it("caps one image at maxImageBytes even when MAX_BODY_BYTES would allow more", async () => {
    const error = await refusal("/eleven-mib.png", 4 * defaultMaxBodyBytes);
    expect(error).toMatchObject({ code: "image_too_large" });
    expect(error.message).toContain(`larger than ${maxImageBytes} bytes`);
  });

  it("words a failed connection without the exception's text", async () => {
    const request = chatRequestSchema.parse({ model: "gemini-2.5-flash", messages: [{ role: "user", content: [{ type: "image_url", image_url: "https://images.example.com/x.png" }] }] });
    const refused: typeof fetch = (_input, init) => nodeFetch("http://127.0.0.1:1/x.png", init);
    const error = (await toGenerateRequest(request, config, { fetch: refused, bodyLimit: defaultMaxBodyBytes }).catch((failure: unknown) => failure)) as OpenAiRequestError;
    expect(error).toMatchObject({ code: "image_fetch_failed", param: "messages[0].content[0].image_url" });
    expect(error.message).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  });
});
