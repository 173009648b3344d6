/**
 * Writing answers on the wire: JSON bodies, SSE (`data: {json}\r\n\r\n`) and the incremental JSON
 * array of `streamGenerateContent` without `alt=sse` (`[{…}\n,\r\n{…}\n]`), with pacing,
 * back-pressure and abort handling so that a stalled or paced stream never outlives its client
 * or the simulator.
 */
import type { ServerResponse } from "node:http";
import { jsonContentType, type HttpAnswer } from "./errors.ts";
import { compactGoogleJson, prettyGoogleJson } from "./json.ts";
import type { RecordedRequest } from "./types.ts";

/** Headers Google's frontend adds to every Gemini answer. */
const googleHeaders: Readonly<Record<string, string>> = {
  vary: "Origin, X-Origin, Referer",
  server: "scaffolding on HTTPServer2",
  "x-xss-protection": "0",
  "x-frame-options": "SAMEORIGIN",
  "x-content-type-options": "nosniff",
};

/** Google's headers plus the content type (and length, for complete bodies). */
function headersFor(contentType: string, length?: number): Record<string, string> {
  const headers: Record<string, string> = { ...googleHeaders, "content-type": contentType };
  headers["server-timing"] = `gfet4t7; dur=${1 + Math.floor(Math.random() * 900)}`;
  if (length !== undefined) headers["content-length"] = String(length);
  return headers;
}

/** Sends the status line and headers of a streamed body right away, and records the status. */
export function startResponse(res: ServerResponse, recorded: RecordedRequest | null, status: number, contentType: string): void {
  res.writeHead(status, headersFor(contentType));
  res.flushHeaders();
  if (recorded) recorded.status = status;
}

/** Sends a complete answer: JSON objects pretty-printed as Google does, strings verbatim. */
export function sendAnswer(res: ServerResponse, recorded: RecordedRequest | null, answer: HttpAnswer): void {
  const text = typeof answer.body === "string" ? answer.body : `${prettyGoogleJson(answer.body)}\n`;
  res.writeHead(answer.status, { ...headersFor(answer.contentType ?? jsonContentType, Buffer.byteLength(text)), ...answer.headers });
  if (recorded) recorded.status = answer.status;
  res.end(text);
}

/** Resolves after `ms`, or early (with false) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Resolves when `signal` aborts (the client went away or the simulator closed). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** Writes `text`, waiting for the socket to drain when needed; false once aborted. */
export async function write(res: ServerResponse, text: string, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted || res.destroyed) return false;
  if (res.write(text)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      res.off("drain", onDrain);
      signal.removeEventListener("abort", onAbort);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onAbort = (): void => done(false);
    res.on("drain", onDrain);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The two framings of a streamed answer. */
export type StreamFormat = "sse" | "json-array";

/** Content type of each stream framing. */
export function streamContentType(format: StreamFormat): string {
  return format === "sse" ? "text/event-stream" : jsonContentType;
}

/** Encodes stream events in one framing. */
export class EventEncoder {
  #count = 0;

  constructor(readonly format: StreamFormat) {}

  /** The bytes for one event. */
  event(data: unknown): string {
    this.#count += 1;
    if (this.format === "sse") return `data: ${compactGoogleJson(data)}\r\n\r\n`;
    return `${this.#count === 1 ? "[" : "\n,\r\n"}${prettyGoogleJson(data)}`;
  }

  /** The bytes that end a complete stream ("" for SSE). */
  end(): string {
    if (this.format === "sse") return "";
    return this.#count === 0 ? "[]" : "\n]";
  }
}
