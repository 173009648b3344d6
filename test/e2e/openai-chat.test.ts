/**
 * Issue 5, chat completions: the official `openai` SDK, unmodified, against the built self-host
 * and worker bundles in front of the simulator — plain and streamed answers, tool-calling loops
 * (single and parallel), JSON-schema output through `parse`, images, reasoning, usage chunks,
 * Gemini 3 thought signatures and a resumed truncated stream.
 */
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { continuingAnswer, GeminiSimulator, type RecordedRequest } from "../sim/index.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";

const accessKey = "sk-openai-access-0123456789";
const adminKey = "admin-openai-0123456789";
const onePixelPng = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

const weatherTool: ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather of a city",
    parameters: { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
    strict: true,
  },
};
const timeTool: ChatCompletionTool = {
  type: "function",
  function: { name: "get_time", parameters: { type: "object", properties: { zone: { type: "string" } }, required: ["zone"] } },
};

type Delta = ChatCompletionChunk.Choice.Delta & { reasoning_content?: string };

/** Every chunk of a streamed completion. */
async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const contentOf = (chunks: ChatCompletionChunk[]) => chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
const finishChunks = (chunks: ChatCompletionChunk[]) => chunks.filter((chunk) => chunk.choices[0]?.finish_reason);

/** The generate requests the simulator received (what gemrelay sent upstream). */
function generateRequests(sim: GeminiSimulator): RecordedRequest[] {
  return sim.requests.filter((request) => request.action === "streamGenerateContent");
}

function bodyOf(request: RecordedRequest | undefined): { contents: { role: string; parts: Record<string, unknown>[] }[]; [field: string]: unknown } {
  return request?.body as { contents: { role: string; parts: Record<string, unknown>[] }[] };
}

describe.each(resumeWorkerTargets)("OpenAI chat completions on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;
  let keys: string[];
  let client: OpenAI;

  beforeAll(async () => {
    sim = await GeminiSimulator.start({ chunkChars: 8 });
    keys = [sim.createKey(), sim.createKey()];
    target = await startTarget({
      AUTH_KEY: accessKey,
      ADMIN_KEY: adminKey,
      GEMINI_UPSTREAM: sim.url,
      GEMINI_API_KEYS: keys.join(","),
      OPENAI_MODEL_ALIASES: "gpt-4o=gemini-2.5-flash",
    });
    client = new OpenAI({ apiKey: accessKey, baseURL: `${target.url}/v1`, maxRetries: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  it("answers a plain chat completion, mapping system and developer messages to the system instruction", async () => {
    const completion = await client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: "Answer in English." },
        { role: "user", content: "hello relay" },
      ],
      temperature: 0.3,
      max_completion_tokens: 500,
      stop: ["END"],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe("gemini-2.5-flash");
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]).toMatchObject({ index: 0, finish_reason: "stop", message: { role: "assistant", content: "Echo: hello relay" } });
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);

    const [upstream] = generateRequests(sim);
    expect(keys).toContain(upstream!.key);
    expect(upstream!.query.alt).toBe("sse");
    expect(upstream!.body).toMatchObject({
      systemInstruction: { parts: [{ text: "Be brief." }, { text: "Answer in English." }] },
      contents: [{ role: "user", parts: [{ text: "hello relay" }] }],
      generationConfig: { temperature: 0.3, maxOutputTokens: 500, stopSequences: ["END"] },
    });
  });

  it("resolves a model alias and reports the name the client used", async () => {
    const completion = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "alias" }] });
    expect(completion.model).toBe("gpt-4o");
    expect(generateRequests(sim)[0]!.model).toBe("gemini-2.5-flash");
  });

  it("streams: role first, content in pieces, one finish chunk, no usage chunk unless asked", async () => {
    sim.setAnswer(() => "A streamed answer in several small pieces.");
    const chunks = await collect(await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "stream" }], stream: true }));
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: "assistant", content: "" });
    expect(chunks.length).toBeGreaterThan(4);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(contentOf(chunks)).toBe("A streamed answer in several small pieces.");
    expect(finishChunks(chunks)).toHaveLength(1);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.every((chunk) => chunk.choices.length === 1)).toBe(true);

    // The wire itself: LF-framed events ending with [DONE].
    const raw = await fetch(`${target.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${accessKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "wire" }], stream: true }),
    });
    expect(raw.headers.get("content-type")).toContain("text/event-stream");
    const text = await raw.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(text).not.toContain('"choices":[]');
  });

  it("adds the usage chunk with choices: [] when stream_options.include_usage is set", async () => {
    const chunks = await collect(
      await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "usage please" }], stream: true, stream_options: { include_usage: true } }),
    );
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) });
    expect(last.usage!.completion_tokens_details!.reasoning_tokens).toBeGreaterThan(0);
    expect(last.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it("runs a two-step tool-calling loop: call, tool result, final answer", async () => {
    sim.enqueue({ kind: "function-call", name: "get_weather", args: { city: "Paris" } });
    const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Paris?" }];
    const first = await client.chat.completions.create({ model: "gemini-2.5-flash", messages, tools: [weatherTool], tool_choice: "auto" });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe("function");
    expect(call.id).toMatch(/^call_/);
    if (call.type !== "function") throw new Error("expected a function call");
    expect(call.function).toEqual({ name: "get_weather", arguments: JSON.stringify({ city: "Paris" }) });

    const declarations = bodyOf(generateRequests(sim)[0]).tools as { functionDeclarations: Record<string, unknown>[] }[];
    expect(declarations[0]!.functionDeclarations[0]).toEqual({
      name: "get_weather",
      description: "Current weather of a city",
      parametersJsonSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    });
    expect(bodyOf(generateRequests(sim)[0]).toolConfig).toEqual({ functionCallingConfig: { mode: "AUTO" } });

    sim.setAnswer((request) => {
      const last = bodyOf(request).contents.at(-1)!;
      const response = last.parts[0]!.functionResponse as { name: string; response: { result: string } };
      return `It is ${response.response.result} (from ${response.name}).`;
    });
    messages.push(choice.message, { role: "tool", tool_call_id: call.id, content: "18°C and sunny" });
    const second = await client.chat.completions.create({ model: "gemini-2.5-flash", messages, tools: [weatherTool] });
    expect(second.choices[0]!.message.content).toBe("It is 18°C and sunny (from get_weather).");
    expect(second.choices[0]!.finish_reason).toBe("stop");

    const replay = bodyOf(generateRequests(sim)[1]);
    expect(replay.contents.map((content) => content.role)).toEqual(["user", "model", "user"]);
    expect(replay.contents[1]!.parts[0]).toMatchObject({ functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: expect.any(String) });
    expect(replay.contents[2]!.parts).toEqual([{ functionResponse: { name: "get_weather", response: { result: "18°C and sunny" } } }]);
  });

  it("streams parallel tool calls with ids and indexes, and merges their results into one user turn", async () => {
    sim.enqueue({ kind: "function-call", name: "get_weather", args: { city: "Oslo" }, parallel: [{ name: "get_time", args: { zone: "Europe/Oslo" } }] });
    const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "Weather and time in Oslo?" }];
    const chunks = await collect(await client.chat.completions.create({ model: "gemini-2.5-flash", messages, tools: [weatherTool, timeTool], stream: true }));
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls.map((call) => call.index)).toEqual([0, 1]);
    expect(calls.map((call) => call.function?.name)).toEqual(["get_weather", "get_time"]);
    expect(new Set(calls.map((call) => call.id)).size).toBe(2);
    expect(finishChunks(chunks).map((chunk) => chunk.choices[0]!.finish_reason)).toEqual(["tool_calls"]);

    messages.push({
      role: "assistant",
      content: null,
      tool_calls: calls.map((call) => ({ id: call.id!, type: "function" as const, function: { name: call.function!.name!, arguments: call.function!.arguments! } })),
    });
    messages.push({ role: "tool", tool_call_id: calls[0]!.id!, content: '{"celsius": 3}' }, { role: "tool", tool_call_id: calls[1]!.id!, content: "14:05" });
    sim.setAnswer(() => "Cold, and it is 14:05.");
    const final = await client.chat.completions.create({ model: "gemini-2.5-flash", messages, tools: [weatherTool, timeTool] });
    expect(final.choices[0]!.message.content).toBe("Cold, and it is 14:05.");

    const replay = bodyOf(generateRequests(sim)[1]);
    expect(replay.contents.map((content) => content.role)).toEqual(["user", "model", "user"]);
    expect(replay.contents[1]!.parts.map((part) => (part.functionCall as { name: string }).name)).toEqual(["get_weather", "get_time"]);
    expect(replay.contents[2]!.parts).toEqual([
      { functionResponse: { name: "get_weather", response: { celsius: 3 } } },
      { functionResponse: { name: "get_time", response: { result: "14:05" } } },
    ]);
  });

  it("returns JSON-schema output that the SDK's parse helper validates", async () => {
    const Weather = z.object({ city: z.string(), celsius: z.number(), tags: z.array(z.string()), kind: z.enum(["sunny", "rainy"]) });
    const completion = await client.chat.completions.parse({
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: "Weather as JSON" }],
      response_format: zodResponseFormat(Weather, "weather"),
    });
    const parsed = completion.choices[0]!.message.parsed!;
    expect(Weather.parse(parsed)).toEqual(parsed);
    expect(parsed.kind).toBe("sunny");
    const config = bodyOf(generateRequests(sim)[0]).generationConfig as { responseMimeType: string; responseJsonSchema: Record<string, unknown> };
    expect(config.responseMimeType).toBe("application/json");
    expect(config.responseJsonSchema).toMatchObject({ type: "object", required: ["city", "celsius", "tags", "kind"] });
    expect(JSON.stringify(config.responseJsonSchema)).not.toMatch(/additionalProperties|\$schema|strict/);
  });

  it("answers json_object with JSON", async () => {
    const completion = await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "json please" }], response_format: { type: "json_object" } });
    expect(JSON.parse(completion.choices[0]!.message.content!)).toEqual({ echo: "json please" });
  });

  it("sends an image given as a data URL as inline data, and refuses remote URLs off the allow-list", async () => {
    const completion = await client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is in this picture?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${onePixelPng}` } },
          ],
        },
      ],
    });
    expect(completion.choices[0]!.message.content).toBe("Echo: What is in this picture?");
    expect(bodyOf(generateRequests(sim)[0]).contents[0]!.parts).toEqual([{ text: "What is in this picture?" }, { inlineData: { mimeType: "image/png", data: onePixelPng } }]);

    const refused = client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "http://169.254.169.254/latest/meta-data/" } }] }],
    });
    await expect(refused).rejects.toMatchObject({ status: 400, param: "messages[0].content[0].image_url.url" });
    expect(generateRequests(sim)).toHaveLength(1);
  });

  it("shows reasoning as reasoning_content when reasoning_effort asks for it", async () => {
    const completion = await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "think first" }], reasoning_effort: "low" });
    const message = completion.choices[0]!.message as typeof completion.choices[0]["message"] & { reasoning_content?: string };
    expect(message.reasoning_content).toContain("Considering the request");
    expect(message.content).toBe("Echo: think first");
    expect(completion.usage!.completion_tokens_details!.reasoning_tokens).toBeGreaterThan(0);
    expect((bodyOf(generateRequests(sim)[0]).generationConfig as Record<string, unknown>).thinkingConfig).toEqual({ thinkingBudget: 1024, includeThoughts: true });

    const chunks = await collect(await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "think again" }], reasoning_effort: "medium", stream: true }));
    const deltas = chunks.map((chunk) => chunk.choices[0]?.delta as Delta | undefined);
    const firstContent = deltas.findIndex((delta) => (delta?.content ?? "").length > 0);
    const lastReasoning = deltas.findLastIndex((delta) => (delta?.reasoning_content ?? "").length > 0);
    expect(lastReasoning).toBeGreaterThan(0);
    expect(lastReasoning).toBeLessThan(firstContent);
    expect(contentOf(chunks)).toBe("Echo: think again");
  });

  it("carries Gemini 3 thought signatures through a tool-call round trip, and the upstream refuses a call without one", async () => {
    const model = "gemini-3-pro-preview";
    sim.enqueue({ kind: "function-call", name: "get_weather", args: { city: "Rome" } });
    const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Rome?" }];
    const first = await client.chat.completions.create({ model, messages, tools: [weatherTool] });
    const call = first.choices[0]!.message.tool_calls![0]! as { id: string; extra_content?: { google?: { thought_signature?: string } } };
    const signature = call.extra_content?.google?.thought_signature;
    expect(signature).toEqual(expect.any(String));
    expect(call.id).toContain("__thought__");

    // A client that keeps the whole message (extra_content included).
    messages.push(first.choices[0]!.message, { role: "tool", tool_call_id: call.id, content: "22°C" });
    const second = await client.chat.completions.create({ model, messages, tools: [weatherTool] });
    expect(second.choices[0]!.finish_reason).toBe("stop");
    expect(bodyOf(generateRequests(sim)[1]).contents[1]!.parts[0]!.thoughtSignature).toBe(signature);

    // A client that rebuilds the call from id, name and arguments only: the id still carries it.
    const rebuilt: ChatCompletionMessageParam[] = [
      messages[0]!,
      { role: "assistant", content: null, tool_calls: [{ id: call.id, type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } }] },
      { role: "tool", tool_call_id: call.id, content: "22°C" },
    ];
    expect((await client.chat.completions.create({ model, messages: rebuilt, tools: [weatherTool] })).choices[0]!.finish_reason).toBe("stop");
    expect(bodyOf(generateRequests(sim)[2]).contents[1]!.parts[0]!.thoughtSignature).toBe(signature);

    // Without any signature Gemini 3 answers 400, passed on in OpenAI's shape.
    const unsigned: ChatCompletionMessageParam[] = [
      messages[0]!,
      { role: "assistant", content: null, tool_calls: [{ id: "call_plain", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } }] },
      { role: "tool", tool_call_id: "call_plain", content: "22°C" },
    ];
    const refused = client.chat.completions.create({ model, messages: unsigned, tools: [weatherTool] });
    await expect(refused).rejects.toMatchObject({ status: 400, type: "invalid_request_error" });
    await expect(client.chat.completions.create({ model, messages: unsigned, tools: [weatherTool] })).rejects.toThrow(/thought_signature/);
  });

  it("resumes a truncated stream without duplicate text and with exactly one finish chunk", async () => {
    const full = "The quick brown fox jumps over the lazy dog, then keeps running across the wide green field until the sun goes down.";
    sim.setAnswer(continuingAnswer(full, { repeat: 12 }));
    sim.enqueue({ kind: "cut", afterChars: 40, mode: "close" });
    const chunks = await collect(await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "tell me" }], stream: true, stream_options: { include_usage: true } }));
    expect(contentOf(chunks)).toBe(full);
    expect(finishChunks(chunks)).toHaveLength(1);
    expect(finishChunks(chunks)[0]!.choices[0]!.finish_reason).toBe("stop");
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(generateRequests(sim).length).toBeGreaterThanOrEqual(2);

    // The same under a non-streaming client.
    sim.reset();
    sim.setAnswer(continuingAnswer(full, { repeat: 12 }));
    sim.enqueue({ kind: "cut", afterChars: 30, mode: "close" });
    const completion = await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "tell me" }] });
    expect(completion.choices[0]!.message.content).toBe(full);
    expect(completion.choices[0]!.finish_reason).toBe("stop");
  });

  it("ends a stream that cannot be completed with an error the SDK throws, never a silent short answer", async () => {
    sim.enqueue({ kind: "cut", afterChars: 10, mode: "close", times: 50 });
    const stream = await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "this will keep failing" }], stream: true });
    await expect(collect(stream)).rejects.toThrow(/truncated|could not|gave up|incomplete/i);
  });
});
