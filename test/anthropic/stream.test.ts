/**
 * Generate events → Anthropic's stream, fed from real Gemini captures and read back by the
 * Anthropic SDK's own SSE reader (its accumulator runs in the e2e suite): pings, thinking with its signature,
 * tool_use with input_json_delta, and the in-stream error.
 */
import { Stream } from "@anthropic-ai/sdk/core/streaming";
import type { RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages";
import { describe, expect, it } from "vitest";
import { newMessageMeta } from "../../shared/anthropic/answer.ts";
import { messageEventEncoder } from "../../shared/anthropic/stream.ts";
import { GemrelayError } from "../../shared/errors.ts";
import { generateContentResponseSchema } from "../../shared/gemini/types.ts";
import type { GenerateEvent } from "../../shared/resume/generate.ts";
import { transformed } from "../../shared/streams.ts";
import { fixtureEvents } from "../helpers/fixtures.ts";

function chunkEvents(name: string): GenerateEvent[] {
  return fixtureEvents(name).map((event) => ({ kind: "chunk", data: JSON.stringify(event), response: generateContentResponseSchema.parse(event) }));
}

async function encode(events: GenerateEvent[]): Promise<string> {
  const source = new ReadableStream<GenerateEvent>({
    start(controller) {
      for (const event of events) controller.enqueue(event);
      controller.close();
    },
  });
  return new Response(transformed(source, messageEventEncoder(newMessageMeta("claude-sonnet-4-5")))).text();
}

const sse = (text: string) => new Response(text, { headers: { "content-type": "text/event-stream" } });

async function readWithSdk(text: string): Promise<RawMessageStreamEvent[]> {
  const events: RawMessageStreamEvent[] = [];
  for await (const event of Stream.fromSSEResponse<RawMessageStreamEvent>(sse(text), new AbortController())) events.push(event);
  return events;
}

type Block = { type: string; text?: string; thinking?: string; signature?: string; partial?: string; input?: unknown; name?: string };

/** The message the events describe, accumulated by the rules of Anthropic's streaming docs. */
function accumulate(events: RawMessageStreamEvent[]): { content: Block[]; stop_reason: string | null; usage: Record<string, unknown> } {
  const content: Block[] = [];
  let stop: string | null = null;
  let usage: Record<string, unknown> = {};
  for (const event of events) {
    if (event.type === "message_start") usage = { ...event.message.usage };
    if (event.type === "content_block_start") content[event.index] = { ...(event.content_block as Block) };
    if (event.type === "content_block_delta") {
      const block = content[event.index]!;
      const delta = event.delta;
      if (delta.type === "text_delta") block.text = (block.text ?? "") + delta.text;
      if (delta.type === "thinking_delta") block.thinking = (block.thinking ?? "") + delta.thinking;
      if (delta.type === "signature_delta") block.signature = delta.signature;
      if (delta.type === "input_json_delta") block.partial = (block.partial ?? "") + delta.partial_json;
    }
    if (event.type === "content_block_stop") {
      const block = content[event.index]!;
      if (block.type === "tool_use") block.input = JSON.parse(block.partial ?? "{}");
      delete block.partial;
    }
    if (event.type === "message_delta") {
      stop = event.delta.stop_reason;
      usage = { ...usage, ...event.usage };
    }
  }
  return { content, stop_reason: stop, usage };
}

describe("messageEventEncoder", () => {
  it("streams thinking (closed by a signature_delta) then tool_use with its input as input_json_delta", async () => {
    const text = await encode(chunkEvents("gemini_sse_thought_text_signature_functioncall.sse"));
    const events = await readWithSdk(text);
    const kinds = events.map((event) => (event.type === "content_block_delta" ? `delta:${event.delta.type}` : event.type === "content_block_start" ? `start:${event.content_block.type}` : event.type));
    expect(kinds[0]).toBe("message_start");
    expect(kinds.slice(-2)).toEqual(["message_delta", "message_stop"]);
    expect(kinds.filter((kind) => kind.startsWith("start:"))).toEqual(expect.arrayContaining(["start:thinking", "start:tool_use"]));
    expect(kinds.indexOf("start:thinking")).toBeLessThan(kinds.indexOf("start:tool_use"));
    expect(kinds).toContain("delta:input_json_delta");
    const final = accumulate(events);
    const call = final.content.find((block) => block.type === "tool_use")!;
    expect(call.input).toEqual(expect.any(Object));
    expect(final.stop_reason).toBe("tool_use");
  });

  it("carries the thought signature of the first answer part as the thinking block's signature_delta", async () => {
    const events: GenerateEvent[] = [
      { kind: "chunk", data: "", response: { candidates: [{ content: { role: "model", parts: [{ text: "Let me think.", thought: true }] } }] } },
      { kind: "heartbeat" },
      { kind: "chunk", data: "", response: { candidates: [{ content: { role: "model", parts: [{ text: "Answer.", thoughtSignature: "c2lnbmF0dXJl" }] }, finishReason: "STOP" }], usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2, thoughtsTokenCount: 3 } } },
    ];
    const text = await encode(events);
    expect(text).toContain('event: ping\ndata: {"type":"ping"}\n\n');
    const final = accumulate(await readWithSdk(text));
    expect(final.content).toEqual([
      { type: "thinking", thinking: "Let me think.", signature: "c2lnbmF0dXJl" },
      { type: "text", text: "Answer." },
    ]);
    expect(final.usage).toMatchObject({ input_tokens: 5, output_tokens: 5 });
  });

  it("ends with an error event (the SDK throws) when the answer is cut off or the engine gives up, never message_stop", async () => {
    const cut = await encode([{ kind: "chunk", data: "", response: { candidates: [{ content: { role: "model", parts: [{ text: "Half an ans" }] } }] } }]);
    expect(cut).not.toContain("message_stop");
    await expect(readWithSdk(cut)).rejects.toThrow(/truncated/);
    const failed = await encode([{ kind: "error", error: new GemrelayError("The model is overloaded.", 503) }]);
    expect(failed).toContain('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"The model is overloaded."}}');
    await expect(readWithSdk(failed)).rejects.toThrow(/overloaded/);
  });
});
