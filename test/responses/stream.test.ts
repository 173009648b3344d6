/**
 * Issue 17: generate events → the Responses stream, read back by the openai SDK's own SSE reader:
 * sequence numbers, item order, and the failure mapping (response.failed, then an error event
 * the SDK throws, carrying OpenAI's error code for the Gemini status).
 */
import { Stream } from "openai/core/streaming";
import { describe, expect, it } from "vitest";
import { GemrelayError, UpstreamResponseError } from "../../shared/errors.ts";
import { newResponseMeta } from "../../shared/responses/output.ts";
import { responseEventEncoder } from "../../shared/responses/stream.ts";
import type { GenerateEvent } from "../../shared/resume/generate.ts";
import { transformed } from "../../shared/streams.ts";
import { fixture } from "../helpers/fixtures.ts";

async function encode(events: GenerateEvent[]): Promise<string> {
  const source = new ReadableStream<GenerateEvent>({
    start(controller) {
      for (const event of events) controller.enqueue(event);
      controller.close();
    },
  });
  return new Response(transformed(source, responseEventEncoder(newResponseMeta("gpt-5-codex", 1_761_564_674_000)))).text();
}

async function readWithSdk(text: string): Promise<{ type: string; sequence_number: number; [field: string]: unknown }[]> {
  const events: { type: string; sequence_number: number }[] = [];
  const stream = Stream.fromSSEResponse<{ type: string; sequence_number: number }>(new Response(text, { headers: { "content-type": "text/event-stream" } }), new AbortController());
  for await (const event of stream) events.push(event);
  return events;
}

/** The raw events of `text` (without the SDK, which throws on the error event). */
function rawEvents(text: string): { event: string; data: Record<string, unknown> }[] {
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("event: "))
    .map((block) => {
      const [head = "", data = ""] = block.split("\n");
      return { event: head.slice(7), data: JSON.parse(data.slice(6)) as Record<string, unknown> };
    });
}

const chunk = (parts: Record<string, unknown>[], finishReason?: string): GenerateEvent => ({
  kind: "chunk",
  data: "",
  response: { candidates: [{ content: { role: "model", parts }, ...(finishReason ? { finishReason } : {}) }] },
});

describe("responseEventEncoder", () => {
  it("orders reasoning, message and function_call items, numbering every event", async () => {
    const text = await encode([
      chunk([{ text: "Hmm.", thought: true }]),
      { kind: "heartbeat" },
      chunk([{ text: "Calling." }]),
      chunk([{ functionCall: { name: "shell", args: { command: ["ls"] } }, thoughtSignature: "c2ln" }], "STOP"),
    ]);
    expect(text).toContain(": keep-alive\n\n");
    const events = await readWithSdk(text);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_event, index) => index));
    const added = events.filter((event) => event.type === "response.output_item.added").map((event) => (event.item as { type: string }).type);
    expect(added).toEqual(["reasoning", "message", "function_call"]);
    const completed = events.at(-1)!;
    expect(completed.type).toBe("response.completed");
    const output = (completed.response as { output: { type: string; call_id?: string }[] }).output;
    expect(output.map((item) => item.type)).toEqual(["reasoning", "message", "function_call"]);
    expect(output[2]!.call_id).toContain("__thought__");
  });

  it("reports MAX_TOKENS as response.incomplete with its reason", async () => {
    const events = await readWithSdk(await encode([chunk([{ text: "Long" }], "MAX_TOKENS")]));
    expect(events.at(-1)).toMatchObject({ type: "response.incomplete", response: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } } });
  });

  it.each([
    [new GemrelayError("The Gemini answer ended without a finish reason (truncated) and could not be completed.", 502), "unavailable"],
    [new UpstreamResponseError(fixture("error_503_UNAVAILABLE_overloaded.json"), 503, new Headers()), "unavailable"],
    [new UpstreamResponseError(fixture("error_429_RESOURCE_EXHAUSTED_QuotaFailure_Help_RetryInfo.json"), 429, new Headers()), "rate_limit_exceeded"],
    [new UpstreamResponseError(fixture("error_500_INTERNAL.json"), 500, new Headers()), "internal"],
  ])("maps an in-stream failure to response.failed and an error event (%s → %s)", async (error, code) => {
    const text = await encode([chunk([{ text: "Half" }]), { kind: "error", error }]);
    const events = rawEvents(text);
    expect(events.map((event) => event.event).slice(-2)).toEqual(["response.failed", "error"]);
    expect(events.at(-2)!.data).toMatchObject({ response: { status: "failed", error: { code } } });
    expect(events.at(-1)!.data).toMatchObject({ type: "error", code });
    expect(text).not.toContain("response.completed");
    await expect(readWithSdk(text)).rejects.toThrow();
  });

  it("never ends a cut answer cleanly", async () => {
    const text = await encode([chunk([{ text: "Half an ans" }])]);
    expect(rawEvents(text).at(-1)!.event).toBe("error");
    await expect(readWithSdk(text)).rejects.toThrow(/truncated/);
  });
});
