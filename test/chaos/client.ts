/**
 * One chaos request as a client sees it (Gemini native, streamed or not) and its verdict: the
 * exact answer, a proper error in Gemini's protocol, or a failure — a silent truncation (a 200
 * that is not the whole answer and says nothing) or a wrong error (malformed, or of a class
 * that no fault should produce).
 */
import { incompleteAnswerLine } from "../../shared/gemini/encode.ts";
import { isRecord } from "../sim/json.ts";
import { finishReasonOf, parseSseEvents, visibleText } from "../sim/index.ts";

/** The model every chaos request asks for. */
export const chaosModel = "gemini-2.5-flash";

/** Where a chaos request goes and with which access key. */
export interface ChaosEndpoint {
  url: string;
  accessKey: string;
}

/** What one request ended with. */
export type Verdict =
  | { kind: "complete" }
  /** A proper error: `errorClass` names it, e.g. `HTTP 429 RESOURCE_EXHAUSTED`, `in-stream 502 UNAVAILABLE`. */
  | { kind: "error"; errorClass: string }
  | { kind: "wrong-error"; detail: string }
  | { kind: "silent"; detail: string };

/**
 * Errors a client may get before the status line, by code, with the Google status they carry:
 * the pool cooling (429 with RetryInfo), Gemini's own last 500/503 after the attempts ran out
 * (passed on as Gemini sent it), no pair could serve or the answer could not be completed (502,
 * or 503 when no key could).
 */
const httpErrorClasses: Readonly<Record<number, string>> = { 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE" };

/** After a 200 the only way to fail is an answer given up on (exhausted, or a continuation refused): 502. */
const streamErrorClasses: Readonly<Record<number, string>> = { 502: "UNAVAILABLE" };

/** Sends `prompt` and judges the answer against `expected`. Throws when the connection is lost (the caller decides what that means). */
export async function sendChaosRequest(endpoint: ChaosEndpoint, prompt: string, expected: string, streamed: boolean, signal: AbortSignal): Promise<Verdict> {
  const method = streamed ? "streamGenerateContent?alt=sse" : "generateContent";
  const response = await fetch(`${endpoint.url}/v1beta/models/${chaosModel}:${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-goog-api-key": endpoint.accessKey },
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: prompt }] }] }),
    signal,
  });
  const text = await response.text();
  if (!response.ok) return judgeError("HTTP", httpErrorClasses, parseJson(text), response.status);
  return streamed ? judgeStream(text, expected) : judgeWhole(text, expected);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A Gemini error body `{"error": {code, message, status}}` of an accepted class (`code` equal to `status` for HTTP errors). */
function judgeError(where: "HTTP" | "in-stream", classes: Readonly<Record<number, string>>, body: unknown, httpStatus?: number): Verdict {
  const describe = () => `${where} error ${httpStatus ?? ""} ${JSON.stringify(body).slice(0, 200)}`;
  const error = isRecord(body) && isRecord(body.error) ? body.error : null;
  if (error === null || typeof error.code !== "number" || typeof error.status !== "string" || typeof error.message !== "string" || error.message === "") {
    return { kind: "wrong-error", detail: `not a Gemini error body: ${describe()}` };
  }
  if (httpStatus !== undefined && error.code !== httpStatus) return { kind: "wrong-error", detail: `code differs from the HTTP status: ${describe()}` };
  if (classes[error.code] !== error.status) return { kind: "wrong-error", detail: `unexpected error class: ${describe()}` };
  // gemrelay's own failure while streaming (a bug), not a fault it was handed.
  if (/^gemrelay failed/i.test(error.message)) return { kind: "wrong-error", detail: `internal failure: ${describe()}` };
  const details = Array.isArray(error.details) ? error.details : [];
  if (error.code === 429 && !details.some((detail) => isRecord(detail) && typeof detail.retryDelay === "string")) {
    return { kind: "wrong-error", detail: `429 without RetryInfo: ${describe()}` };
  }
  // Named by its ErrorInfo reason, else by its message's first clause ("No egress could reach Gemini").
  const reason = details.find((detail) => isRecord(detail) && typeof detail.reason === "string");
  const cause = isRecord(reason) ? String(reason.reason) : (error.message.split(/[.:;](?:\s|$)|\s\(/)[0] ?? "").slice(0, 48);
  return { kind: "error", errorClass: `${where} ${error.code} ${error.status} (${cause})` };
}

/** A stream: the whole answer with exactly one finishReason, or a terminal error event after no finishReason. */
function judgeStream(text: string, expected: string): Verdict {
  let events: unknown[];
  // A given-up answer ends with its error event and then gemrelay's incomplete-answer line (not JSON).
  const incompleteLine = `data: ${incompleteAnswerLine}\r\n\r\n`;
  const incomplete = text.endsWith(incompleteLine);
  try {
    events = parseSseEvents(incomplete ? text.slice(0, -incompleteLine.length) : text);
  } catch {
    return { kind: "wrong-error", detail: `unparseable SSE: ${JSON.stringify(text.slice(-200))}` };
  }
  const finishes = events.filter((event) => finishReasonOf(event) !== undefined).length;
  const errorAt = events.findIndex((event) => isRecord(event) && "error" in event);
  if (errorAt >= 0) {
    if (errorAt !== events.length - 1 || finishes > 0) return { kind: "wrong-error", detail: `error event not terminal (event ${errorAt + 1} of ${events.length}, ${finishes} finishReason(s))` };
    if (!incomplete) return { kind: "wrong-error", detail: "error event not followed by the incomplete-answer line" };
    return judgeError("in-stream", streamErrorClasses, events[errorAt]);
  }
  const visible = visibleText(events);
  if (visible === expected && finishes === 1) return { kind: "complete" };
  return { kind: "silent", detail: `stream: ${finishes} finishReason(s), ${visible.length}/${expected.length} chars, ends ${JSON.stringify(visible.slice(-40))}` };
}

/** A whole answer: the exact text with finishReason STOP. */
function judgeWhole(text: string, expected: string): Verdict {
  const body = parseJson(text);
  if (isRecord(body) && "error" in body) return { kind: "wrong-error", detail: `error body with status 200: ${text.slice(0, 200)}` };
  const visible = visibleText(body);
  if (visible === expected && finishReasonOf(body) === "STOP") return { kind: "complete" };
  return { kind: "silent", detail: `answer: finishReason ${finishReasonOf(body)}, ${visible.length}/${expected.length} chars` };
}
