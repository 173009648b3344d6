/**
 * Issue #8, slow and idle clients against the self-host bundle (workerd's own HTTP server stands
 * in front of the worker, and Cloudflare's edge in production): thousands of idle connections,
 * slowloris headers, a trickling body, idle keep-alive, with short timeouts set by environment.
 * None of them may stop the server from serving, and a streamed answer that outlasts the request
 * timeout must not be cut.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GeminiSimulator, finishReasonOf, readSseEvents, visibleText } from "../sim/index.ts";
import { startSelfHost, temporaryDirectory, type Child } from "../helpers/process.ts";
import { closed, openSocket, readResponse, requestBytes } from "./raw-http.ts";

const accessKey = "sk-badinput-slow-0123456789";
const timeouts = { headers: 2_000, request: 3_000, keepAlive: 500 };
/** Node checks its timers every quarter of the headers timeout (relays/node/http-server.ts). */
const checkInterval = timeouts.headers / 4;
const idleConnections = 2_000;
/** Room for a busy machine between a timer firing and the test seeing the socket close. */
const slack = 2_500;

/** Resident memory of a process in bytes (Linux). */
function residentBytes(pid: number): number {
  const kilobytes = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kilobytes) * 1024;
}

/** Writes `text` one byte every `intervalMs` until the socket closes. */
function trickle(socket: Socket, text: string, intervalMs: number): void {
  let index = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    socket.write(text[index % text.length]!);
    index += 1;
  }, intervalMs);
  socket.once("close", () => clearInterval(timer));
}

describe("slow and idle clients on the self-host", () => {
  let sim: GeminiSimulator;
  let server: Child & { url: string };

  const generate = (text: string) =>
    fetch(`${server.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: "POST",
      headers: { "x-goog-api-key": accessKey, "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text }] }] }),
    });

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    const dataDir = temporaryDirectory();
    server = await startSelfHost({
      DATA_DIR: dataDir,
      KEYS_FILE: join(dataDir, "keys.txt"),
      AUTH_KEY: accessKey,
      ADMIN_KEY: "admin-badinput-slow-0123456789",
      GEMINI_API_KEYS: sim.createKey(),
      GEMINI_UPSTREAM: sim.url,
      HTTP_HEADERS_TIMEOUT_MS: String(timeouts.headers),
      HTTP_REQUEST_TIMEOUT_MS: String(timeouts.request),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: String(timeouts.keepAlive),
    });
  });

  afterAll(async () => {
    // Still alive after all of it, and stops cleanly.
    expect(server.process.exitCode).toBeNull();
    expect(await server.stop()).toBe(0);
    // A client cut off mid-body is not a gemrelay fault.
    expect(server.output()).not.toContain('"event":"unhandled"');
    await sim.close();
  });

  it(`serves others while ${idleConnections} idle connections are open, and closes those after HTTP_HEADERS_TIMEOUT_MS`, async () => {
    const before = residentBytes(server.process.pid!);
    const idle: { openedAt: number; closed: Promise<{ closedAt: number; received: string }> }[] = [];
    const open = async () => {
      const socket = await openSocket(server.url);
      return { openedAt: Date.now(), closed: closed(socket).then((received) => ({ closedAt: Date.now(), received })) };
    };
    // In batches, so that the listen backlog never overflows into SYN retries.
    for (let batch = 0; batch < idleConnections; batch += 250) idle.push(...(await Promise.all(Array.from({ length: 250 }, open))));
    const response = await generate("served beside the idle crowd");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Echo: served beside the idle crowd");
    const grown = residentBytes(server.process.pid!) - before;
    // Each idle socket costs a few kilobytes of parser and buffers: bounded, not megabytes.
    expect(grown).toBeLessThan(48 * 1024 * 1024);

    const ends = await Promise.all(idle.map(async ({ openedAt, closed }) => ({ openedAt, ...(await closed) })));
    const lifetimes = ends.map(({ openedAt, closedAt }) => closedAt - openedAt);
    expect(Math.min(...lifetimes)).toBeGreaterThanOrEqual(timeouts.headers - 100);
    expect(Math.max(...lifetimes)).toBeLessThanOrEqual(timeouts.headers + checkInterval + slack);
    expect(new Set(ends.map(({ received }) => received))).toEqual(new Set(["HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n"]));
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("cuts off a slowloris client trickling its headers at HTTP_HEADERS_TIMEOUT_MS", async () => {
    const socket = await openSocket(server.url);
    const started = Date.now();
    const received = closed(socket);
    trickle(socket, `GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ${"s".repeat(1_000)}`, 50);
    expect(await received).toBe("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
    expect(Date.now() - started).toBeGreaterThanOrEqual(timeouts.headers - 100);
    expect(Date.now() - started).toBeLessThanOrEqual(timeouts.headers + checkInterval + slack);
  });

  it("cuts off a body trickling in at HTTP_REQUEST_TIMEOUT_MS", async () => {
    const socket = await openSocket(server.url);
    const started = Date.now();
    const received = closed(socket);
    sim.reset();
    socket.write(requestBytes("POST", "/v1beta/models/gemini-2.5-flash:generateContent", [["x-goog-api-key", accessKey], ["content-length", "5000"]]));
    trickle(socket, '{"contents":[{"parts":[{"text":"slow"}]}], "padding": "', 50);
    expect(await received).toBe("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
    expect(Date.now() - started).toBeGreaterThanOrEqual(timeouts.request - 100);
    expect(Date.now() - started).toBeLessThanOrEqual(timeouts.request + checkInterval + slack);
    expect(sim.requests).toEqual([]);
  });

  it("never cuts a streamed answer that outlasts HTTP_REQUEST_TIMEOUT_MS", async () => {
    // About 16 events of 24 characters, one every 250 ms: some 4 s.
    const text = "A streamed answer that takes its time, one chunk every quarter second, well past the request timeout. ".repeat(4);
    sim.reset();
    sim.setAnswer(() => text);
    sim.enqueue({ kind: "pace", intervalMs: 250 });
    const started = Date.now();
    const response = await fetch(`${server.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
      method: "POST",
      headers: { "x-goog-api-key": accessKey, "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "take your time" }] }] }),
    });
    expect(response.status).toBe(200);
    const events = await readSseEvents(response);
    expect(Date.now() - started).toBeGreaterThan(timeouts.request + 500);
    expect(visibleText(events)).toBe(text);
    expect(finishReasonOf(events.at(-1))).toBe("STOP");
    sim.reset();
  });

  it("closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS (plus Node's 1 s grace)", async () => {
    const socket = await openSocket(server.url);
    const answer = readResponse(socket);
    socket.write(requestBytes("GET", "/health", []));
    expect((await answer).status).toBe(200);
    const answered = Date.now();
    // Closed silently by the keep-alive timer, not with a 408 by the headers timer.
    expect(await closed(socket)).toBe("");
    expect(Date.now() - answered).toBeLessThanOrEqual(timeouts.keepAlive + 1_000 + slack);
  });
});
