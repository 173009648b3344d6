/**
 * Generate events → OpenAI chunks, fed from the real captures, compared with OpenAI's own
 * reference stream (openai_reference_stream_include_usage.sse) and read back by the openai SDK's
 * own SSE reader.
 */
import { Stream } from "openai/core/streaming";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { describe, expect, it } from "vitest";
import { GemrelayError } from "../../shared/errors.ts";
import { generateContentResponseSchema } from "../../shared/gemini/types.ts";
import { newCompletionMeta } from "../../shared/openai/completion.ts";
import { chatChunkEncoder } from "../../shared/openai/stream.ts";
import { transformed } from "../../shared/streams.ts";
import type { GenerateEvent } from "../../shared/resume/generate.ts";
import { fixtureEvents } from "../helpers/fixtures.ts";

function chunkEvents(name: string): GenerateEvent[] {
  return fixtureEvents(name).map((event) => ({ kind: "chunk", data: JSON.stringify(event), response: generateContentResponseSchema.parse(event) }));
}

/** The encoder's output for `events`, as text. */
async function encode(events: GenerateEvent[], options: { includeUsage?: boolean; thinkTags?: boolean } = {}): Promise<string> {
  const meta = newCompletionMeta("gemini-2.5-flash", options.thinkTags ?? false, 1_761_564_674_000);
  const source = new ReadableStream<GenerateEvent>({
    start(controller) {
      for (const event of events) controller.enqueue(event);
      controller.close();
    },
  });
  return new Response(transformed(source, chatChunkEncoder(meta, options.includeUsage ?? false))).text();
}

function chunksOf(text: string): ChatCompletionChunk[] {
  return text
    .split("\n\n")
    .filter((event) => event.startsWith("data: {"))
    .map((event) => JSON.parse(event.slice(6)) as ChatCompletionChunk);
}

/** Reads the text the way the openai SDK reads a streamed completion. */
async function readWithSdk(text: string): Promise<ChatCompletionChunk[]> {
  const stream = Stream.fromSSEResponse<ChatCompletionChunk>(new Response(text, { headers: { "content-type": "text/event-stream" } }), new AbortController());
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe("chatChunkEncoder", () => {
  it("streams role, content, one finish chunk and [DONE] for a Gemini 3 answer with its empty terminal part", async () => {
    const text = await encode(chunkEvents("gemini3_sse_final_chunk_empty_text_with_thoughtSignature.sse").slice(0, 2));
    const chunks = chunksOf(text);
    expect(chunks.map((chunk) => chunk.choices[0]!.delta)).toEqual([{ role: "assistant", content: "" }, { content: "Merhaba!" }, {}]);
    expect(chunks.map((chunk) => chunk.choices[0]!.finish_reason)).toEqual([null, null, "stop"]);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(text).not.toContain('"usage"');
    expect(await readWithSdk(text)).toEqual(chunks);
  });

  it("matches OpenAI's reference stream shape with include_usage: usage null on chunks, then choices [] with usage", async () => {
    const reference = fixtureEvents("openai_reference_stream_include_usage.sse") as Record<string, unknown>[];
    const text = await encode(chunkEvents("gemini3_sse_final_chunk_empty_text_with_thoughtSignature.sse").slice(0, 2), { includeUsage: true });
    const chunks = chunksOf(text) as unknown as Record<string, unknown>[];
    const finish = chunks.at(-2)!;
    const usage = chunks.at(-1)!;
    // Same top-level fields as OpenAI's (minus its padding and service tier), same choice fields.
    const fields = (value: Record<string, unknown>) => Object.keys(value).filter((key) => !["obfuscation", "service_tier"].includes(key)).sort();
    expect(fields(finish)).toEqual(fields(reference.at(-2)!));
    expect(Object.keys((finish.choices as Record<string, unknown>[])[0]!)).toEqual(expect.arrayContaining(Object.keys((reference.at(-2)!.choices as Record<string, unknown>[])[0]!)));
    expect(finish.usage).toBeNull();
    expect(usage.choices).toEqual([]);
    const expectedUsage = reference.at(-1)!.usage as Record<string, Record<string, unknown>>;
    expect(Object.keys(usage.usage as object).sort()).toEqual(Object.keys(expectedUsage).sort());
    expect(usage.usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 152,
      total_tokens: 162,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 150, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    });
  });

  it("streams reasoning before content, then the tool call with id and index, finishing with tool_calls", async () => {
    const chunks = chunksOf(await encode(chunkEvents("gemini_sse_thought_text_signature_functioncall.sse")));
    const deltas = chunks.map((chunk) => chunk.choices[0]!.delta as ChatCompletionChunk.Choice.Delta & { reasoning_content?: string });
    expect(deltas[1]).toEqual({ reasoning_content: "Understanding the context" });
    expect(deltas.slice(2, 5).map((delta) => delta.content).join("")).toContain("Let me check the weather for you.");
    expect(deltas[5]!.tool_calls).toEqual([{ index: 0, id: expect.stringMatching(/^call_/), type: "function", function: { name: "get_weather", arguments: '{"location":"Paris"}' } }]);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("tool_calls");
    expect(chunks.filter((chunk) => chunk.choices[0]!.finish_reason !== null)).toHaveLength(1);
  });

  it("wraps thoughts in <think> inside content when think tags are on", async () => {
    const chunks = chunksOf(await encode(chunkEvents("gemini_sse_thought_text_signature_functioncall.sse"), { thinkTags: true }));
    const content = chunks.map((chunk) => chunk.choices[0]!.delta.content ?? "").join("");
    expect(content).toMatch(/^<think>\nUnderstanding the context\n<\/think>\n\nOf course!/);
  });

  it("writes heartbeats as SSE comments the SDK skips", async () => {
    const events = chunkEvents("gemini3_sse_final_chunk_empty_text_with_thoughtSignature.sse").slice(0, 2);
    const text = await encode([{ kind: "heartbeat" }, events[0]!, { kind: "heartbeat" }, events[1]!]);
    expect(text.match(/^: keep-alive\n\n/gm)).toHaveLength(2);
    const read = await readWithSdk(text);
    expect(read.map((chunk) => chunk.choices[0]!.delta.content ?? "").join("")).toBe("Merhaba!");
  });

  it("ends a failed stream with an error event and [DONE]; the SDK throws it", async () => {
    const events = chunkEvents("gemini_sse_long_text_first_and_last_events.sse").slice(0, 1);
    const failure = new GemrelayError("Gemini's answer was cut off and could not be completed.", 502);
    const text = await encode([...events, { kind: "error", error: failure }]);
    expect(text).toContain('data: {"error":{"message":"Gemini\'s answer was cut off and could not be completed.","type":"server_error","param":null,"code":"unavailable"}}\n\ndata: [DONE]\n\n');
    expect(text).not.toContain('"finish_reason":"');
    await expect(readWithSdk(text)).rejects.toThrow("Gemini's answer was cut off and could not be completed.");
  });

  it("never passes off an answer without a finish reason as complete", async () => {
    const text = await encode(chunkEvents("antitrunc_fixture_stream_incomplete.sse"));
    expect(text).toContain('"code":"unavailable"');
    await expect(readWithSdk(text)).rejects.toThrow(/without a finish reason/);
  });

  it("finishes a blocked prompt with content_filter", async () => {
    const blocked = generateContentResponseSchema.parse({ promptFeedback: { blockReason: "PROHIBITED_CONTENT" }, usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 } });
    const chunks = chunksOf(await encode([{ kind: "chunk", data: "{}", response: blocked }]));
    expect(chunks.at(-1)!.choices[0]).toMatchObject({ finish_reason: "content_filter", native_finish_reason: "PROHIBITED_CONTENT" });
  });
});
