/** Gemini answers → chat.completion, from the real captures in test/fixtures/gemini-wire. */
import { describe, expect, it } from "vitest";
import { aggregateChunks } from "../../shared/gemini/aggregate.ts";
import { generateContentResponseSchema, type GenerateContentResponse } from "../../shared/gemini/types.ts";
import { newCompletionMeta } from "../../shared/openai/completion.ts";
import { toChatCompletion } from "../../shared/openai/response.ts";
import { signatureFromToolCallId } from "../../shared/openai/signature.ts";
import { openAiUsage } from "../../shared/openai/usage.ts";
import { fixture, fixtureEvents } from "../helpers/fixtures.ts";

const meta = newCompletionMeta("gemini-2.5-pro", false, Date.UTC(2026, 0, 1));

/** The events of an SSE fixture, each validated like the seam validates upstream chunks. */
function sseFixture(name: string): GenerateContentResponse[] {
  return fixtureEvents(name).map((event) => generateContentResponseSchema.parse(event));
}

function jsonFixture(name: string): GenerateContentResponse {
  return generateContentResponseSchema.parse(JSON.parse(fixture(name)));
}

describe("toChatCompletion", () => {
  it("maps thoughts, text and a function call (gemini_sse_thought_text_signature_functioncall.sse)", () => {
    const completion = toChatCompletion(aggregateChunks(sseFixture("gemini_sse_thought_text_signature_functioncall.sse")), meta);
    expect(completion).toMatchObject({ id: meta.id, object: "chat.completion", created: 1767225600, model: "gemini-2.5-pro" });
    const [choice] = completion.choices;
    expect(choice!.finish_reason).toBe("tool_calls");
    expect(choice!.native_finish_reason).toBe("STOP");
    expect(choice!.message.reasoning_content).toBe("Understanding the context");
    expect(choice!.message.content).toBe(
      "Of course! Someone in Paris might want to know the weather to decide whether to stroll along the Seine, visit an outdoor market, or perhaps opt for a cozy day in a museum. Let me check the weather for you.",
    );
    expect(choice!.message.tool_calls).toEqual([{ id: expect.stringMatching(/^call_[A-Za-z0-9]{24}$/), type: "function", function: { name: "get_weather", arguments: '{"location":"Paris"}' } }]);
    expect(completion.usage).toEqual({
      prompt_tokens: 60,
      completion_tokens: 52,
      total_tokens: 112,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 5, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    });
  });

  it("carries a functionCall's thought signature in extra_content and in the id (gemini_sse_functioncall_with_thoughtSignature.sse)", () => {
    const chunks = sseFixture("gemini_sse_functioncall_with_thoughtSignature.sse");
    const signature = chunks[0]!.candidates![0]!.content!.parts![0]!.thoughtSignature!;
    const completion = toChatCompletion(aggregateChunks(chunks), meta);
    const call = completion.choices[0]!.message.tool_calls![0]!;
    expect(completion.choices[0]!.message.content).toBeNull();
    expect(call.function).toEqual({ name: "getWeather", arguments: '{"location":"Tokyo"}' });
    expect(call.extra_content).toEqual({ google: { thought_signature: signature } });
    expect(signatureFromToolCallId(call.id)).toBe(signature);
  });

  it("maps MAX_TOKENS to length and keeps the thought apart (gemini_nonstream_thought_then_MAX_TOKENS.json)", () => {
    const completion = toChatCompletion(jsonFixture("gemini_nonstream_thought_then_MAX_TOKENS.json"), meta);
    expect(completion.choices[0]).toMatchObject({ finish_reason: "length", native_finish_reason: "MAX_TOKENS", message: { content: "We are looking" } });
    expect(completion.choices[0]!.message.reasoning_content).toContain("Initial Exploration");
    expect(completion.usage.total_tokens).toBe(89);
  });

  it("maps a prompt block to content_filter with the raw reason (gemini_promptFeedback_blockReason_PROHIBITED_CONTENT.json)", () => {
    const completion = toChatCompletion(jsonFixture("gemini_promptFeedback_blockReason_PROHIBITED_CONTENT.json"), meta);
    expect(completion.choices[0]).toMatchObject({ finish_reason: "content_filter", native_finish_reason: "PROHIBITED_CONTENT", message: { content: "" } });
    expect(completion.usage.prompt_tokens).toBe(12559);
  });

  it("maps MALFORMED_FUNCTION_CALL to stop with no content (gemini_nonstream_MALFORMED_FUNCTION_CALL.json)", () => {
    const completion = toChatCompletion(jsonFixture("gemini_nonstream_MALFORMED_FUNCTION_CALL.json"), meta);
    expect(completion.choices[0]).toMatchObject({ finish_reason: "stop", native_finish_reason: "MALFORMED_FUNCTION_CALL", message: { content: "" } });
  });

  it("drops Gemini 3's empty terminal part but keeps the answer (gemini3_sse_final_chunk_empty_text_with_thoughtSignature.sse)", () => {
    const chunks = sseFixture("gemini3_sse_final_chunk_empty_text_with_thoughtSignature.sse").slice(0, 2);
    const completion = toChatCompletion(aggregateChunks(chunks), meta);
    expect(completion.choices[0]).toMatchObject({ finish_reason: "stop", message: { content: "Merhaba!" } });
    expect(completion.usage.completion_tokens_details.reasoning_tokens).toBe(150);
    expect(completion.usage.completion_tokens).toBe(152);
  });

  it("also writes thoughts into content inside <think> when think tags are on", () => {
    const tagged = newCompletionMeta("m", true, 0);
    const completion = toChatCompletion(jsonFixture("gemini_nonstream_thought_then_MAX_TOKENS.json"), tagged);
    expect(completion.choices[0]!.message.content).toMatch(/^<think>\nOkay, let me break this down\.[\s\S]*\n<\/think>\n\nWe are looking$/);
  });
});

describe("openAiUsage", () => {
  it("counts reasoning inside completion tokens, cached and tool-use prompt tokens inside prompt tokens", () => {
    expect(openAiUsage({ promptTokenCount: 100, cachedContentTokenCount: 60, toolUsePromptTokenCount: 5, candidatesTokenCount: 10, thoughtsTokenCount: 20, totalTokenCount: 135 })).toMatchObject({
      prompt_tokens: 105,
      completion_tokens: 30,
      total_tokens: 135,
      prompt_tokens_details: { cached_tokens: 60 },
      completion_tokens_details: { reasoning_tokens: 20 },
    });
    expect(openAiUsage(undefined)).toMatchObject({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });
});
