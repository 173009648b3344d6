/**
 * The verdict per attempt, table-driven over the real payloads in test/fixtures/gemini-wire (and
 * a few shapes the simulator produces), read through the observer as the engine reads them.
 */
import { endsLikeFinished } from "../../shared/resume/answer.ts";
import { describe, expect, it } from "vitest";
import { generateContentResponseSchema } from "../../shared/gemini/types.ts";
import { defaultResumePolicy } from "../../shared/resume/policy.ts";
import { AttemptObserver, judgeAttempt, type AttemptEnding, type Verdict, type VerdictPolicy } from "../../shared/resume/verdict.ts";
import { fixture } from "../helpers/fixtures.ts";

/** The `data:` payloads of an SSE fixture, optionally only one of its sections (`# --- B ---` starts the second). */
function ssePayloads(name: string, section?: "first" | "second"): unknown[] {
  let text = fixture(name);
  if (section !== undefined) text = text.split(/^# --- /m)[section === "first" ? 0 : 1] ?? "";
  return text
    .split(/\r?\n/)
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice("data: ".length)) as unknown);
}

function jsonPayload(name: string): unknown[] {
  return [JSON.parse(fixture(name)) as unknown];
}

interface Case {
  name: string;
  chunks: unknown[];
  ending: AttemptEnding;
  prior?: number;
  sentinel?: "seen" | "missing";
  policy?: Partial<VerdictPolicy>;
  expected: Verdict;
}

const text = (value: string, extra: Record<string, unknown> = {}) => ({ candidates: [{ content: { role: "model", parts: [{ text: value }] }, index: 0, ...extra }] });
const thought = (value: string) => ({ candidates: [{ content: { role: "model", parts: [{ text: value, thought: true }] }, index: 0 }] });
const emptyStop = { candidates: [{ content: { role: "model" }, finishReason: "STOP", index: 0 }] };

const longText = ssePayloads("gemini_sse_long_text_first_and_last_events.sse");
const thoughtThenCall = ssePayloads("gemini_sse_thought_text_signature_functioncall.sse");

const cases: Case[] = [
  { name: "long answer ending in STOP", chunks: longText, ending: "finished", expected: { action: "complete", reason: "finished" } },
  { name: "long answer whose body ended after two chunks", chunks: longText.slice(0, 2), ending: "closed", expected: { action: "continue", reason: "no-finish" } },
  { name: "long answer reset after two chunks", chunks: longText.slice(0, 2), ending: "network-error", expected: { action: "continue", reason: "network-error" } },
  { name: "long answer that stalled", chunks: longText.slice(0, 1), ending: "stall", expected: { action: "continue", reason: "stall" } },
  { name: "503 object inside the 200 stream", chunks: longText.slice(0, 2), ending: "upstream-error", expected: { action: "continue", reason: "upstream-error" } },
  { name: "thought then MAX_TOKENS (stream)", chunks: ssePayloads("gemini_sse_thought_then_MAX_TOKENS_crlf.sse"), ending: "finished", expected: { action: "complete", reason: "finished" } },
  { name: "thought then MAX_TOKENS (non-stream)", chunks: jsonPayload("gemini_nonstream_thought_then_MAX_TOKENS.json"), ending: "finished", expected: { action: "complete", reason: "finished" } },
  { name: "MALFORMED_FUNCTION_CALL (stream)", chunks: ssePayloads("gemini_sse_MALFORMED_FUNCTION_CALL_crlf.sse"), ending: "finished", expected: { action: "restart", reason: "malformed-function-call" } },
  { name: "MALFORMED_FUNCTION_CALL (non-stream)", chunks: jsonPayload("gemini_nonstream_MALFORMED_FUNCTION_CALL.json"), ending: "finished", expected: { action: "restart", reason: "malformed-function-call" } },
  { name: "function call with signature", chunks: ssePayloads("gemini_sse_functioncall_with_thoughtSignature.sse"), ending: "finished", expected: { action: "complete", reason: "function-call" } },
  { name: "thought, text, function call", chunks: thoughtThenCall, ending: "finished", expected: { action: "complete", reason: "function-call" } },
  { name: "thought and text cut before the function call", chunks: thoughtThenCall.slice(0, 3), ending: "network-error", expected: { action: "continue", reason: "network-error" } },
  { name: "function call whose stream broke afterwards", chunks: thoughtThenCall, ending: "network-error", expected: { action: "complete", reason: "function-call" } },
  { name: "Gemini 3 terminal signature part (A)", chunks: ssePayloads("gemini3_sse_final_chunk_empty_text_with_thoughtSignature.sse", "first"), ending: "finished", expected: { action: "complete", reason: "finished" } },
  { name: "Gemini 3 terminal signature part (B)", chunks: ssePayloads("gemini3_sse_final_chunk_empty_text_with_thoughtSignature.sse", "second"), ending: "finished", expected: { action: "complete", reason: "finished" } },
  { name: "prompt blocked", chunks: jsonPayload("gemini_promptFeedback_blockReason_PROHIBITED_CONTENT.json"), ending: "finished", expected: { action: "blocked", reason: "PROHIBITED_CONTENT" } },
  { name: "stream ended without finishReason", chunks: ssePayloads("antitrunc_fixture_stream_incomplete.sse"), ending: "closed", expected: { action: "continue", reason: "no-finish" } },
  // The fixture puts finishReason inside content, where Gemini never sends it: no finish seen.
  { name: "finishReason misplaced inside content", chunks: ssePayloads("antitrunc_fixture_stream_complete_with_sentinel.sse"), ending: "closed", expected: { action: "continue", reason: "no-finish" } },
  { name: "STOP with text", chunks: jsonPayload("antitrunc_fixture_nonstream_stop_without_sentinel.json"), ending: "finished", expected: { action: "complete", reason: "finished" } },
  { name: "STOP with text, sentinel missing", chunks: jsonPayload("antitrunc_fixture_nonstream_stop_without_sentinel.json"), ending: "finished", sentinel: "missing", expected: { action: "continue", reason: "missing-sentinel" } },
  {
    name: "STOP with text, sentinel missing but accepted",
    chunks: jsonPayload("antitrunc_fixture_nonstream_stop_without_sentinel.json"),
    ending: "finished",
    sentinel: "missing",
    policy: { acceptMissingSentinel: true },
    expected: { action: "complete", reason: "finished" },
  },
  { name: "STOP with text, sentinel seen", chunks: jsonPayload("antitrunc_fixture_nonstream_stop_without_sentinel.json"), ending: "finished", sentinel: "seen", expected: { action: "complete", reason: "finished" } },
  { name: "empty STOP", chunks: [emptyStop], ending: "finished", expected: { action: "continue", reason: "empty" } },
  { name: "empty-text STOP", chunks: [text("", { finishReason: "STOP" })], ending: "finished", expected: { action: "continue", reason: "empty" } },
  {
    name: "STOP with an image and no text",
    chunks: [{ candidates: [{ content: { role: "model", parts: [{ inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } }] }, finishReason: "STOP", index: 0 }] }],
    ending: "finished",
    expected: { action: "complete", reason: "finished" },
  },
  { name: "STOP while still inside thoughts", chunks: [thought("Thinking…"), emptyStop], ending: "finished", expected: { action: "continue", reason: "inside-thoughts" } },
  { name: "empty STOP after visible text: asked once more (could be the empty-reply bug)", chunks: [emptyStop], ending: "finished", prior: 120, expected: { action: "continue", reason: "empty-continuation" } },
  {
    name: "empty STOP after visible text, second time: nothing to add",
    chunks: [emptyStop],
    ending: "finished",
    prior: 120,
    policy: { continueOn: ["OTHER"], acceptEmptyContinuation: true },
    expected: { action: "complete", reason: "finished" },
  },
  { name: "OTHER", chunks: [text("Half an ans", { finishReason: "OTHER" })], ending: "finished", expected: { action: "continue", reason: "abnormal-finish" } },
  { name: "RECITATION", chunks: [text("Quoted", { finishReason: "RECITATION" })], ending: "finished", expected: { action: "continue", reason: "abnormal-finish" } },
  { name: "OTHER when not configured", chunks: [text("Half", { finishReason: "OTHER" })], ending: "finished", policy: { continueOn: [] }, expected: { action: "complete", reason: "final-finish" } },
  { name: "SAFETY", chunks: [text("Some text", { finishReason: "SAFETY" })], ending: "finished", expected: { action: "complete", reason: "final-finish" } },
  { name: "PROHIBITED_CONTENT", chunks: [text("", { finishReason: "PROHIBITED_CONTENT" })], ending: "finished", expected: { action: "complete", reason: "final-finish" } },
];

describe("judgeAttempt", () => {
  it.each(cases)("$name", ({ chunks, ending, prior, sentinel, policy, expected }) => {
    expect(chunks.length).toBeGreaterThan(0);
    const observer = new AttemptObserver(prior ?? 0);
    for (const chunk of chunks) observer.observe(generateContentResponseSchema.parse(chunk));
    const verdict = judgeAttempt(observer.signals(ending, sentinel), { continueOn: defaultResumePolicy.continueOn, ...policy });
    expect(verdict).toEqual(expected);
  });

  it("counts visible characters and notices a finish inside thoughts", () => {
    const observer = new AttemptObserver(0);
    for (const chunk of ssePayloads("gemini_sse_thought_text_signature_functioncall.sse").slice(0, 2)) observer.observe(generateContentResponseSchema.parse(chunk));
    expect(observer.visibleCharacters).toBe("Of course! Someone in Paris might want to know the weather to decide whether to".length);
    const thinking = new AttemptObserver(0);
    thinking.observe(generateContentResponseSchema.parse(thought("only thinking")));
    expect(thinking.signals("closed").endedInThoughts).toBe(true);
  });
});

describe("endsLikeFinished", () => {
  it.each([
    ["A sentence.", true],
    ["A question?\n", true],
    ["```\ncode\n```", true],
    ["一句话。", true],
    ["a list:\n- item\n", true],
    ["cut in the mid", false],
    ["signa", false],
    ["a number 12", false],
  ])("%j → %s", (text, expected) => expect(endsLikeFinished(text)).toBe(expected));
});
