/**
 * Issue 17, Anthropic Messages: the official `@anthropic-ai/sdk`, unmodified, against the built
 * self-host and worker bundles in front of the simulator — plain and streamed answers, the
 * event sequence, thinking with signatures, a tool-use round trip (Gemini 3 signatures), images,
 * count_tokens, claude-* model aliases, a resumed cut stream, one that cannot be completed, and
 * errors in Anthropic's shape.
 */
import Anthropic from "@anthropic-ai/sdk";
import type { MessageParam, RawMessageStreamEvent, Tool } from "@anthropic-ai/sdk/resources/messages";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { continuingAnswer, GeminiSimulator, type RecordedRequest } from "../sim/index.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";

const accessKey = "sk-anthropic-access-0123456789";
const adminKey = "admin-anthropic-0123456789";
const onePixelPng = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

const weatherTool: Tool = {
  name: "get_weather",
  description: "Current weather of a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
};

function generateRequests(sim: GeminiSimulator): RecordedRequest[] {
  return sim.requests.filter((request) => request.action === "streamGenerateContent");
}

type Body = { contents: { role: string; parts: Record<string, unknown>[] }[]; [field: string]: unknown };
const bodyOf = (request: RecordedRequest | undefined) => request?.body as Body;

async function events(stream: AsyncIterable<RawMessageStreamEvent>): Promise<RawMessageStreamEvent[]> {
  const all: RawMessageStreamEvent[] = [];
  for await (const event of stream) all.push(event);
  return all;
}

const textOf = (all: RawMessageStreamEvent[]) =>
  all.map((event) => (event.type === "content_block_delta" && event.delta.type === "text_delta" ? event.delta.text : "")).join("");

describe.each(resumeWorkerTargets)("Anthropic Messages on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;
  let keys: string[];
  let client: Anthropic;

  beforeAll(async () => {
    sim = await GeminiSimulator.start({ chunkChars: 8 });
    keys = [sim.createKey(), sim.createKey()];
    target = await startTarget({ AUTH_KEY: accessKey, ADMIN_KEY: adminKey, GEMINI_UPSTREAM: sim.url, GEMINI_API_KEYS: keys.join(",") });
    client = new Anthropic({ apiKey: accessKey, baseURL: target.url, maxRetries: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  it("answers messages.create, mapping system, sampling and stop sequences; metadata is ignored", async () => {
    // Sampling fields the SDK's current types no longer declare: sent as clients of older versions do.
    const params = {
      model: "gemini-2.5-flash",
      max_tokens: 500,
      system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: "hello relay" }],
      temperature: 0.3,
      top_p: 0.9,
      top_k: 20,
      stop_sequences: ["END"],
      metadata: { user_id: "someone" },
    };
    const message = await client.messages.create(params as Anthropic.MessageCreateParamsNonStreaming);
    expect(message).toMatchObject({ type: "message", role: "assistant", model: "gemini-2.5-flash", stop_reason: "end_turn", stop_sequence: null });
    expect(message.id).toMatch(/^msg_/);
    expect(message.content).toEqual([{ type: "text", text: "Echo: hello relay" }]);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    const [upstream] = generateRequests(sim);
    expect(keys).toContain(upstream!.key);
    expect(upstream!.body).toMatchObject({
      systemInstruction: { parts: [{ text: "Be brief." }] },
      contents: [{ role: "user", parts: [{ text: "hello relay" }] }],
      generationConfig: { maxOutputTokens: 500, temperature: 0.3, topP: 0.9, topK: 20, stopSequences: ["END"] },
    });
  });

  it("takes a request shaped as Claude Code 2.1 sends it: system messages mid-conversation, adaptive thinking, beta fields", async () => {
    // The shape captured from `claude -p` 2.1.197 (content shortened): before, "messages[1].role" was a 400.
    const response = await fetch(`${target.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: {
        "x-api-key": accessKey,
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,mid-conversation-system-2026-04-07,effort-2025-11-24",
        "content-type": "application/json",
      },
      body: JSON.stringify({
        model: "claude-sonnet-4-5",
        max_tokens: 32000,
        stream: true,
        system: [{ type: "text", text: "x-anthropic-billing-header: cc_version=2.1.197;" }, { type: "text", text: "You are an agent.", cache_control: { type: "ephemeral" } }],
        messages: [
          { role: "user", content: [{ type: "text", text: "<system-reminder>context</system-reminder>" }] },
          { role: "system", content: "Available agent types: claude." },
          { role: "user", content: [{ type: "text", text: "hello agent", cache_control: { type: "ephemeral" } }] },
        ],
        tools: [{ name: "Read", description: "Read a file", input_schema: { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object", properties: { file_path: { type: "string" } }, required: ["file_path"], additionalProperties: false } }],
        metadata: { user_id: "user_abc" },
        thinking: { type: "adaptive" },
        context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
        output_config: { effort: "high" },
      }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain("event: message_stop");
    const upstream = bodyOf(generateRequests(sim)[0]);
    // Claude Code's billing marker is Anthropic's, left out.
    expect(upstream.systemInstruction).toEqual({ parts: [{ text: "You are an agent." }, { text: "Available agent types: claude." }] });
    expect(upstream.contents.map((content) => content.role)).toEqual(["user"]);
    expect((upstream.generationConfig as Record<string, unknown>).thinkingConfig).toEqual({ includeThoughts: true });
  });

  it("maps claude-* names through the default aliases and echoes the name asked for; Authorization: Bearer works too", async () => {
    const bearer = new Anthropic({ authToken: accessKey, apiKey: null, baseURL: target.url, maxRetries: 0 });
    const message = await bearer.messages.create({ model: "claude-sonnet-4-5-20250929", max_tokens: 100, messages: [{ role: "user", content: "alias" }] });
    expect(message.model).toBe("claude-sonnet-4-5-20250929");
    await client.messages.create({ model: "claude-haiku-4-5", max_tokens: 100, messages: [{ role: "user", content: "alias" }] });
    expect(generateRequests(sim).map((request) => request.model)).toEqual(["gemini-2.5-pro", "gemini-2.5-flash"]);
  });

  it("passes a client's own Gemini key through from x-api-key when x-relay-auth carries the access key", async () => {
    const own = sim.createKey();
    const response = await fetch(`${target.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": own, "x-relay-auth": accessKey, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "gemini-2.5-flash", max_tokens: 50, messages: [{ role: "user", content: "own key" }] }),
    });
    expect(response.status).toBe(200);
    expect(generateRequests(sim)[0]!.key).toBe(own);
  });

  it("streams exactly Anthropic's event sequence, with the text whole", async () => {
    sim.setAnswer(() => "A streamed answer in several small pieces.");
    const all = await events(client.messages.stream({ model: "gemini-2.5-flash", max_tokens: 200, messages: [{ role: "user", content: "stream" }] }));
    const types = all.map((event) => event.type);
    expect(types[0]).toBe("message_start");
    expect(types.slice(-2)).toEqual(["message_delta", "message_stop"]);
    expect(types.filter((type) => type === "content_block_start")).toHaveLength(1);
    expect(types.filter((type) => type === "content_block_stop")).toHaveLength(1);
    expect(types.filter((type) => type === "content_block_delta").length).toBeGreaterThan(3);
    expect(textOf(all)).toBe("A streamed answer in several small pieces.");
    const delta = all.at(-2) as Extract<RawMessageStreamEvent, { type: "message_delta" }>;
    expect(delta.delta.stop_reason).toBe("end_turn");
    expect(delta.usage.output_tokens).toBeGreaterThan(0);

    const final = await client.messages.stream({ model: "gemini-2.5-flash", max_tokens: 200, messages: [{ role: "user", content: "again" }] }).finalMessage();
    expect(final.content).toEqual([{ type: "text", text: "A streamed answer in several small pieces." }]);
    expect(final.stop_reason).toBe("end_turn");
  });

  it("maps thinking to a thinking budget and streams thinking blocks before the text", async () => {
    const stream = client.messages.stream({ model: "gemini-2.5-flash", max_tokens: 4000, thinking: { type: "enabled", budget_tokens: 2048 }, messages: [{ role: "user", content: "think first" }] });
    const all = await events(stream);
    const starts = all.filter((event) => event.type === "content_block_start").map((event) => event.content_block.type);
    expect(starts).toEqual(["thinking", "text"]);
    const thinking = all.map((event) => (event.type === "content_block_delta" && event.delta.type === "thinking_delta" ? event.delta.thinking : "")).join("");
    expect(thinking).toContain("Considering the request");
    expect(textOf(all)).toBe("Echo: think first");
    expect((bodyOf(generateRequests(sim)[0]).generationConfig as Record<string, unknown>).thinkingConfig).toEqual({ thinkingBudget: 2048, includeThoughts: true });
  });

  it("maps the web_search_20250305 server tool to Gemini's googleSearch tool", async () => {
    const message = await client.messages.create({ model: "gemini-2.5-flash", max_tokens: 300, messages: [{ role: "user", content: "news today?" }], tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 3 }] });
    expect(message.content).toEqual([{ type: "text", text: "Echo: news today?" }]);
    await client.messages.create({ model: "gemini-3-pro-preview", max_tokens: 300, messages: [{ role: "user", content: "both" }], tools: [weatherTool, { type: "web_search_20250305", name: "web_search" }] });
    const [alone, both] = generateRequests(sim).map((request) => bodyOf(request).tools);
    expect(alone).toEqual([{ googleSearch: {} }]);
    expect(both).toEqual([{ functionDeclarations: [expect.objectContaining({ name: "get_weather" })] }, { googleSearch: {} }]);
  });

  it("runs a tool-use round trip on Gemini 3: tool_use with input, tool_result back, signatures replayed", async () => {
    const model = "gemini-3-pro-preview";
    sim.enqueue({ kind: "function-call", name: "get_weather", args: { city: "Rome" } });
    const messages: MessageParam[] = [{ role: "user", content: "Weather in Rome?" }];
    const first = await client.messages.stream({ model, max_tokens: 500, messages, tools: [weatherTool], tool_choice: { type: "auto" } }).finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const call = first.content.find((block) => block.type === "tool_use")!;
    expect(call).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "Rome" } });
    expect(call.id).toMatch(/^toolu_/);
    const declarations = bodyOf(generateRequests(sim)[0]).tools as { functionDeclarations: Record<string, unknown>[] }[];
    expect(declarations[0]!.functionDeclarations[0]).toEqual({
      name: "get_weather",
      description: "Current weather of a city",
      parametersJsonSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    });
    expect(bodyOf(generateRequests(sim)[0]).toolConfig).toEqual({ functionCallingConfig: { mode: "AUTO" } });

    sim.setAnswer((request) => {
      const response = bodyOf(request).contents.at(-1)!.parts[0]!.functionResponse as { name: string; response: { result: string } };
      return `It is ${response.response.result} (from ${response.name}).`;
    });
    messages.push({ role: "assistant", content: first.content }, { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "22°C" }] });
    const second = await client.messages.create({ model, max_tokens: 500, messages, tools: [weatherTool] });
    expect(second.content).toEqual([{ type: "text", text: "It is 22°C (from get_weather)." }]);
    const replay = bodyOf(generateRequests(sim)[1]);
    expect(replay.contents.map((content) => content.role)).toEqual(["user", "model", "user"]);
    expect(replay.contents[1]!.parts[0]).toMatchObject({ functionCall: { name: "get_weather", args: { city: "Rome" } }, thoughtSignature: expect.any(String) });
    expect(replay.contents[2]!.parts).toEqual([{ functionResponse: { name: "get_weather", response: { result: "22°C" } } }]);

    // An error result is marked as one.
    messages[2] = { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: [{ type: "text", text: "no such city" }], is_error: true }] };
    sim.setAnswer(() => "Sorry.");
    await client.messages.create({ model, max_tokens: 500, messages, tools: [weatherTool] });
    expect(bodyOf(generateRequests(sim)[2]).contents[2]!.parts).toEqual([{ functionResponse: { name: "get_weather", response: { error: "no such city" } } }]);
  });

  it("sends a base64 image as inline data, and refuses a remote image off the allow-list before any upstream call", async () => {
    const message = await client.messages.create({
      model: "gemini-2.5-flash",
      max_tokens: 100,
      messages: [{ role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image", source: { type: "base64", media_type: "image/png", data: onePixelPng } }] }],
    });
    expect(message.content).toEqual([{ type: "text", text: "Echo: What is this?" }]);
    expect(bodyOf(generateRequests(sim)[0]).contents[0]!.parts).toEqual([{ text: "What is this?" }, { inlineData: { mimeType: "image/png", data: onePixelPng } }]);
    const refused = client.messages.create({
      model: "gemini-2.5-flash",
      max_tokens: 100,
      messages: [{ role: "user", content: [{ type: "image", source: { type: "url", url: "http://169.254.169.254/latest/meta-data/" } }] }],
    });
    await expect(refused).rejects.toMatchObject({ status: 400, error: { type: "error", error: { type: "invalid_request_error" } } });
    expect(generateRequests(sim)).toHaveLength(1);
  });

  it("counts tokens through Gemini's countTokens", async () => {
    const counted = await client.messages.countTokens({ model: "claude-sonnet-4-5", system: "Be brief.", messages: [{ role: "user", content: "count these words please" }] });
    expect(counted.input_tokens).toBeGreaterThan(0);
    const upstream = sim.requests.find((request) => request.action === "countTokens")!;
    expect(upstream.model).toBe("gemini-2.5-pro");
    expect(upstream.body).toMatchObject({ generateContentRequest: { model: "models/gemini-2.5-pro", contents: [{ role: "user", parts: [{ text: "count these words please" }] }] } });
  });

  it("resumes a cut stream seamlessly: the text exact, one message_stop, one message_start", async () => {
    const full = "The quick brown fox jumps over the lazy dog, then keeps running across the wide green field until the sun goes down.";
    sim.setAnswer(continuingAnswer(full, { repeat: 12 }));
    sim.enqueue({ kind: "cut", afterChars: 40, mode: "close" });
    const all = await events(client.messages.stream({ model: "gemini-2.5-flash", max_tokens: 500, messages: [{ role: "user", content: "tell me" }] }));
    expect(textOf(all)).toBe(full);
    expect(all.filter((event) => event.type === "message_start")).toHaveLength(1);
    expect(all.filter((event) => event.type === "message_stop")).toHaveLength(1);
    expect(all.filter((event) => event.type === "content_block_start")).toHaveLength(1);
    expect(generateRequests(sim).length).toBeGreaterThanOrEqual(2);

    sim.reset();
    sim.setAnswer(continuingAnswer(full, { repeat: 12 }));
    sim.enqueue({ kind: "cut", afterChars: 30, mode: "close" });
    const whole = await client.messages.create({ model: "gemini-2.5-flash", max_tokens: 500, messages: [{ role: "user", content: "tell me" }] });
    expect(whole.content).toEqual([{ type: "text", text: full }]);
  });

  it("ends a stream that cannot be completed with an in-stream error event the SDK throws, never message_stop", async () => {
    sim.enqueue({ kind: "cut", afterChars: 10, mode: "close", times: 50 });
    const seen: string[] = [];
    const stream = client.messages.stream({ model: "gemini-2.5-flash", max_tokens: 500, messages: [{ role: "user", content: "this will keep failing" }] });
    const iterate = async () => {
      for await (const event of stream) seen.push(event.type);
    };
    await expect(iterate()).rejects.toThrow(/truncated|could not|gave up|incomplete/i);
    expect(seen).not.toContain("message_stop");
  });

  it("answers errors in Anthropic's shape: auth, validation, not found, Gemini 429 with retry-after, overload as 529", async () => {
    const stranger = new Anthropic({ apiKey: "sk-wrong-key-0123456789", baseURL: target.url, maxRetries: 0 });
    await expect(stranger.messages.create({ model: "gemini-2.5-flash", max_tokens: 10, messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({
      status: 401,
      error: { type: "error", error: { type: "authentication_error" } },
    });
    const missing = await fetch(`${target.url}/v1/messages`, { method: "POST", headers: { "x-api-key": accessKey, "anthropic-version": "2023-06-01", "content-type": "application/json" }, body: JSON.stringify({ model: "gemini-2.5-flash", messages: [] }) });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ type: "error", error: { type: "invalid_request_error", message: expect.stringMatching(/^max_tokens/) } });

    sim.enqueue({ kind: "http-error", status: 404 }, { model: "gemini-nope" });
    await expect(client.messages.create({ model: "gemini-nope", max_tokens: 10, messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({ status: 404, error: { error: { type: "not_found_error" } } });

    // Every key cooled: gemrelay's own 429, with its retry time.
    sim.enqueue({ kind: "http-error", status: 429 }, {});
    sim.enqueue({ kind: "http-error", status: 429 }, {});
    const limited = await fetch(`${target.url}/v1/messages`, { method: "POST", headers: { "x-api-key": accessKey, "content-type": "application/json" }, body: JSON.stringify({ model: "gemini-2.5-flash", max_tokens: 10, messages: [{ role: "user", content: "x" }] }) });
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { type: string } }).error.type).toBe("rate_limit_error");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("never forwards an Anthropic or OpenAI path gemrelay does not serve: 404 in the caller's shape, nothing upstream", async () => {
    const anthropic = await fetch(`${target.url}/v1/complete`, { method: "POST", headers: { "x-api-key": accessKey, "anthropic-version": "2023-06-01" }, body: "{}" });
    expect(anthropic.status).toBe(404);
    expect(((await anthropic.json()) as { type: string; error: { type: string } })).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    const openai = await fetch(`${target.url}/v1/images/generations`, { method: "POST", headers: { authorization: `Bearer ${accessKey}` }, body: "{}" });
    expect(openai.status).toBe(404);
    expect(((await openai.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
    const prefixed = await fetch(`${target.url}/some/prefix/v1/audio/speech`, { method: "POST", headers: { authorization: `Bearer ${accessKey}` }, body: "{}" });
    expect(prefixed.status).toBe(404);
    expect(sim.requests).toHaveLength(0);
  });

  it("lists models in Anthropic's shape when the request carries anthropic-version", async () => {
    const page = await client.models.list();
    const ids = page.data.map((model) => model.id);
    expect(ids).toContain("gemini-2.5-flash");
    expect(page.data[0]).toMatchObject({ type: "model", display_name: expect.any(String) });
    expect(await client.models.retrieve("claude-sonnet-4-5")).toMatchObject({ type: "model", id: "claude-sonnet-4-5" });
    await expect(client.models.retrieve("gemini-nope")).rejects.toMatchObject({ status: 404, error: { error: { type: "not_found_error" } } });
  });
});
