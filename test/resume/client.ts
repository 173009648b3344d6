/**
 * Client side of resume tests, shared by the in-process and the chain suites: requests as raw
 * SSE, and the checks every resumed answer must pass (one text, one finishReason, one
 * responseId, monotonic usage, thoughts only before the answer, no thought text upstream).
 */
import { expect } from "vitest";
import { incompleteAnswerLine } from "../../shared/gemini/encode.ts";
import { heartbeatData } from "../../shared/gemini/sse.ts";
import { compactGoogleJson } from "../sim/json.ts";
import { finishReasonOf, parseSseEvents, partsOf, visibleText, type EventGate, type RecordedRequest } from "../sim/index.ts";

/** Something that answers HTTP requests by path: a running bundle or the in-process app. */
export type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

/** A generate request body; `thoughts` asks for thought parts. */
export function generateBody(prompt: string, options: { thoughts?: boolean; system?: string } = {}): Record<string, unknown> {
  const body: Record<string, unknown> = { contents: [{ role: "user", parts: [{ text: prompt }] }] };
  if (options.thoughts) body.generationConfig = { thinkingConfig: { includeThoughts: true } };
  if (options.system) body.systemInstruction = { parts: [{ text: options.system }] };
  return body;
}

/** POSTs a generate request with the access key; `stream` uses streamGenerateContent?alt=sse. */
export function postGenerate(fetcher: Fetcher, key: string, model: string, body: unknown, options: { stream?: boolean; headers?: Record<string, string> } = {}): Promise<Response> {
  const path = options.stream === false ? `/v1beta/models/${model}:generateContent` : `/v1beta/models/${model}:streamGenerateContent?alt=sse`;
  return fetcher(path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-goog-api-key": key, ...options.headers },
    body: JSON.stringify(body),
  });
}

const heartbeat = JSON.stringify(JSON.parse(heartbeatData));
const incompleteLine = `data: ${incompleteAnswerLine}\r\n\r\n`;

/** Whether a parsed event is gemrelay's heartbeat chunk (shared/gemini/sse.ts). */
export function isHeartbeat(event: unknown): boolean {
  return JSON.stringify(event) === heartbeat;
}

/**
 * A raw SSE body split into its data payloads (heartbeats left out, and counted), and whether it
 * ended with gemrelay's incomplete-answer line (which is not JSON, and only ever last).
 */
export function readSse(text: string): { events: unknown[]; heartbeats: number; incomplete: boolean } {
  const incomplete = text.endsWith(incompleteLine);
  const all = parseSseEvents(incomplete ? text.slice(0, -incompleteLine.length) : text);
  return { events: all.filter((event) => !isHeartbeat(event)), heartbeats: all.filter(isHeartbeat).length, incomplete };
}

/** The `error` of an `{"error": …}` event, or undefined. */
export function errorOf(event: unknown): { code: number; status: string; message: string; details?: { reason?: string }[] } | undefined {
  if (typeof event !== "object" || event === null || !("error" in event)) return undefined;
  return (event as { error: { code: number; status: string; message: string } }).error;
}

/** Checks the invariants of one (possibly resumed) streamed answer whose text must be `full`. */
export function expectOneAnswer(events: unknown[], full: string, label: string): void {
  expect(events.map(errorOf).filter(Boolean), label).toEqual([]);
  expect(visibleText(events), label).toBe(full);
  const finishes = events.map(finishReasonOf).filter((reason) => reason !== undefined);
  expect(finishes, label).toHaveLength(1);
  expect(finishReasonOf(events.at(-1)), label).toBeDefined();
  const ids = new Set(events.map((event) => (event as { responseId?: string }).responseId).filter(Boolean));
  expect(ids.size, label).toBeLessThanOrEqual(1);
  let total = 0;
  for (const event of events) {
    const usage = (event as { usageMetadata?: { totalTokenCount?: number } }).usageMetadata?.totalTokenCount;
    if (usage === undefined) continue;
    expect(usage, `${label}: usage must not shrink`).toBeGreaterThanOrEqual(total);
    total = usage;
  }
  let visibleStarted = false;
  for (const part of events.flatMap(partsOf)) {
    if (part.thought === true) expect(visibleStarted, `${label}: thought after visible text`).toBe(false);
    else if (typeof part.text === "string" && part.text.length > 0) visibleStarted = true;
  }
}

/** Checks that no request after the first carried thought parts, thought text or a signature. */
export function expectCleanContinuations(requests: readonly RecordedRequest[], thoughtText: string, label: string): void {
  for (const request of requests.slice(1)) {
    const contents = JSON.stringify((request.body as { contents?: unknown }).contents ?? []);
    expect(contents, label).not.toContain('"thought"');
    expect(contents, label).not.toContain("thoughtSignature");
    if (thoughtText.length > 0) expect(contents, label).not.toContain(thoughtText.slice(0, 40));
  }
}

function parseOrNull(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return null;
  }
}

/** Reads an SSE response one `data` payload at a time (comments and heartbeats skipped); null at the end. */
export function sseDataReader(response: Response): () => Promise<string | null> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return async () => {
    for (;;) {
      const boundary = /\r?\n\r?\n/.exec(buffer);
      if (boundary !== null) {
        const block = buffer.slice(0, boundary.index);
        buffer = buffer.slice(boundary.index + boundary[0].length);
        if (block.startsWith("data: ") && !isHeartbeat(parseOrNull(block.slice("data: ".length)))) return block.slice("data: ".length);
        continue;
      }
      const next = await reader.read();
      if (next.done) return null;
      buffer += next.value;
    }
  };
}

/**
 * Proves a fault-free stream is forwarded event for event with the simulator's own bytes, each
 * event reaching the client while the simulator still holds the next one (gate.ts).
 */
export async function expectForwardedAsSent(response: Response, gate: EventGate): Promise<void> {
  expect(response.status).toBe(200);
  const next = sseDataReader(response);
  const received: string[] = [];
  for (;;) {
    gate.release();
    const data = await next();
    if (data === null) break;
    received.push(data);
    expect(gate.written).toHaveLength(received.length);
  }
  expect(received.length).toBeGreaterThan(3);
  expect(received).toEqual(gate.written.map((event) => compactGoogleJson(event)));
}
