/**
 * Issue 17, OpenAI Responses: the official `openai` SDK (`responses.create` and
 * `responses.stream`), unmodified, against the built self-host and worker bundles in front of
 * the simulator — plain and streamed answers, a function-calling round trip, structured output,
 * reasoning, a resumed cut stream, one that cannot be completed, the WebSocket refusal and
 * `previous_response_id`.
 */
import { request as httpRequest } from "node:http";
import OpenAI from "openai";
import type { ResponseInputItem, ResponseStreamEvent, FunctionTool } from "openai/resources/responses/responses";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { continuingAnswer, GeminiSimulator, type RecordedRequest } from "../sim/index.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";

const accessKey = "sk-responses-access-0123456789";
const adminKey = "admin-responses-0123456789";

const weatherTool: FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "Current weather of a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
  strict: true,
};

function generateRequests(sim: GeminiSimulator): RecordedRequest[] {
  return sim.requests.filter((request) => request.action === "streamGenerateContent");
}

type Body = { contents: { role: string; parts: Record<string, unknown>[] }[]; [field: string]: unknown };
const bodyOf = (request: RecordedRequest | undefined) => request?.body as Body;

async function collect(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const all: ResponseStreamEvent[] = [];
  for await (const event of stream) all.push(event);
  return all;
}

const textOf = (all: ResponseStreamEvent[]) => all.map((event) => (event.type === "response.output_text.delta" ? event.delta : "")).join("");

/** A WebSocket upgrade request as Codex sends one (fetch refuses to send `upgrade`): the status and body of the answer. */
function websocketUpgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, {
      headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", authorization: `Bearer ${accessKey}` },
    });
    outgoing.on("response", (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on("upgrade", (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, body: "" });
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

describe.each(resumeWorkerTargets)("OpenAI Responses on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await GeminiSimulator.start({ chunkChars: 8 });
    const keys = [sim.createKey(), sim.createKey()];
    target = await startTarget({ AUTH_KEY: accessKey, ADMIN_KEY: adminKey, GEMINI_UPSTREAM: sim.url, GEMINI_API_KEYS: keys.join(",") });
    client = new OpenAI({ apiKey: accessKey, baseURL: `${target.url}/v1`, maxRetries: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  it("answers responses.create with a string input and instructions", async () => {
    const response = await client.responses.create({ model: "gemini-2.5-flash", instructions: "Be brief.", input: "hello relay", max_output_tokens: 300, temperature: 0.2 });
    expect(response.object).toBe("response");
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe("completed");
    expect(response.model).toBe("gemini-2.5-flash");
    expect(response.output_text).toBe("Echo: hello relay");
    expect(response.output[0]).toMatchObject({ type: "message", role: "assistant", content: [{ type: "output_text", text: "Echo: hello relay" }] });
    expect(response.usage!.input_tokens).toBeGreaterThan(0);
    expect(response.usage!.total_tokens).toBe(response.usage!.input_tokens + response.usage!.output_tokens);
    expect(bodyOf(generateRequests(sim)[0])).toMatchObject({
      systemInstruction: { parts: [{ text: "Be brief." }] },
      contents: [{ role: "user", parts: [{ text: "hello relay" }] }],
      generationConfig: { maxOutputTokens: 300, temperature: 0.2 },
    });
  });

  it("maps gpt-5-codex through the default aliases and echoes the name", async () => {
    const response = await client.responses.create({ model: "gpt-5-codex", input: "alias" });
    expect(response.model).toBe("gpt-5-codex");
    expect(generateRequests(sim)[0]!.model).toBe("gemini-2.5-pro");
  });

  it("streams the semantic events with sequence numbers, which responses.stream assembles", async () => {
    sim.setAnswer(() => "A streamed answer in several small pieces.");
    const stream = client.responses.stream({ model: "gemini-2.5-flash", input: [{ role: "user", content: [{ type: "input_text", text: "stream" }] }] });
    const all = await collect(stream);
    const types = all.map((event) => event.type);
    expect(types.slice(0, 4)).toEqual(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]);
    expect(types.slice(-4)).toEqual(["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"]);
    expect(all.map((event) => event.sequence_number)).toEqual(all.map((_event, index) => index));
    expect(textOf(all)).toBe("A streamed answer in several small pieces.");
    const final = await stream.finalResponse();
    expect(final.output_text).toBe("A streamed answer in several small pieces.");
    expect(final.status).toBe("completed");
  });

  it("runs a function-calling round trip: function_call out, function_call_output back", async () => {
    const model = "gemini-3-pro-preview";
    sim.enqueue({ kind: "function-call", name: "get_weather", args: { city: "Paris" } });
    const input: ResponseInputItem[] = [{ role: "user", content: "Weather in Paris?" }];
    const stream = client.responses.stream({ model, input, tools: [weatherTool], tool_choice: "auto" });
    const all = await collect(stream);
    expect(all.some((event) => event.type === "response.function_call_arguments.delta")).toBe(true);
    const first = await stream.finalResponse();
    const call = first.output.find((item) => item.type === "function_call")!;
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", arguments: JSON.stringify({ city: "Paris" }) });
    expect(bodyOf(generateRequests(sim)[0]).tools).toEqual([
      { functionDeclarations: [{ name: "get_weather", description: "Current weather of a city", parametersJsonSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }] },
    ]);

    sim.setAnswer((request) => {
      const response = bodyOf(request).contents.at(-1)!.parts[0]!.functionResponse as { name: string; response: { result: string } };
      return `It is ${response.response.result} (from ${response.name}).`;
    });
    input.push(...first.output.filter((item) => item.type === "function_call"), { type: "function_call_output", call_id: call.call_id, output: "18°C" });
    const second = await client.responses.create({ model, input, tools: [weatherTool] });
    expect(second.output_text).toBe("It is 18°C (from get_weather).");
    const replay = bodyOf(generateRequests(sim)[1]);
    expect(replay.contents.map((content) => content.role)).toEqual(["user", "model", "user"]);
    // The call id carried Gemini 3's thought signature back to the call it came with.
    expect(replay.contents[1]!.parts[0]).toMatchObject({ functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: expect.any(String) });
  });

  it("returns structured output for text.format json_schema", async () => {
    const response = await client.responses.create({
      model: "gemini-2.5-flash",
      input: "Weather as JSON",
      text: { format: { type: "json_schema", name: "weather", schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false }, strict: true } },
    });
    expect(JSON.parse(response.output_text)).toEqual(expect.any(Object));
    const config = bodyOf(generateRequests(sim)[0]).generationConfig as Record<string, unknown>;
    expect(config.responseMimeType).toBe("application/json");
    expect(config.responseJsonSchema).toEqual({ type: "object", properties: { city: { type: "string" } }, required: ["city"] });
  });

  it("shows reasoning as a reasoning item with its summary", async () => {
    const response = await client.responses.create({ model: "gemini-2.5-flash", input: "think first", reasoning: { effort: "low", summary: "auto" } });
    expect(response.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
    expect(response.output_text).toBe("Echo: think first");
    expect(response.usage!.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
  });

  it("maps web_search and web_search_preview to Gemini's googleSearch tool, beside functions only on Gemini 3", async () => {
    const alone = await client.responses.create({ model: "gemini-2.5-flash", input: "news today?", tools: [{ type: "web_search" }] });
    expect(alone.output_text).toBe("Echo: news today?");
    await client.responses.create({ model: "gemini-2.5-flash", input: "preview", tools: [{ type: "web_search_preview" }] });
    await client.responses.create({ model: "gemini-3-pro-preview", input: "both", tools: [weatherTool, { type: "web_search" }] });
    await client.responses.create({ model: "gemini-2.5-flash", input: "functions win", tools: [weatherTool, { type: "web_search" }] });
    const [first, second, third, fourth] = generateRequests(sim).map((request) => bodyOf(request).tools);
    expect(first).toEqual([{ googleSearch: {} }]);
    expect(second).toEqual([{ googleSearch: {} }]);
    expect(third).toEqual([{ functionDeclarations: [expect.objectContaining({ name: "get_weather" })] }, { googleSearch: {} }]);
    // Gemini 2.x refuses built-in tools beside function declarations: the functions are kept.
    expect(fourth).toEqual([{ functionDeclarations: [expect.objectContaining({ name: "get_weather" })] }]);
  });

  it("resumes a cut stream seamlessly: the text exact, one response.completed", async () => {
    const full = "The quick brown fox jumps over the lazy dog, then keeps running across the wide green field until the sun goes down.";
    sim.setAnswer(continuingAnswer(full, { repeat: 12 }));
    sim.enqueue({ kind: "cut", afterChars: 40, mode: "close" });
    const stream = client.responses.stream({ model: "gemini-2.5-flash", input: "tell me" });
    const all = await collect(stream);
    expect(textOf(all)).toBe(full);
    expect(all.filter((event) => event.type === "response.completed")).toHaveLength(1);
    expect(all.filter((event) => event.type === "response.output_item.added")).toHaveLength(1);
    expect((await stream.finalResponse()).output_text).toBe(full);
    expect(generateRequests(sim).length).toBeGreaterThanOrEqual(2);
  });

  it("ends a stream that cannot be completed with an error the SDK throws, never response.completed", async () => {
    sim.enqueue({ kind: "cut", afterChars: 10, mode: "close", times: 50 });
    const seen: string[] = [];
    const iterate = async () => {
      for await (const event of client.responses.stream({ model: "gemini-2.5-flash", input: "this will keep failing" })) seen.push(event.type);
    };
    await expect(iterate()).rejects.toThrow(/truncated|could not|gave up|incomplete/i);
    expect(seen).toContain("response.failed");
    expect(seen).not.toContain("response.completed");
  });

  it("refuses previous_response_id clearly, answers 426 to a WebSocket upgrade, and 404 for a stored response", async () => {
    await expect(client.responses.create({ model: "gemini-2.5-flash", input: "next turn", previous_response_id: "resp_123" })).rejects.toMatchObject({ status: 400, param: "previous_response_id" });
    await expect(client.responses.retrieve("resp_123")).rejects.toMatchObject({ status: 404 });
    const upgrade = await websocketUpgrade(`${target.url}/v1/responses`);
    expect(upgrade.status).toBe(426);
    expect((JSON.parse(upgrade.body) as { error: { message: string } }).error.message).toMatch(/WebSocket/);
    expect(sim.requests).toHaveLength(0);
  });

  it("answers errors in OpenAI's shape", async () => {
    const stranger = new OpenAI({ apiKey: "sk-wrong-0123456789", baseURL: `${target.url}/v1`, maxRetries: 0 });
    await expect(stranger.responses.create({ model: "gemini-2.5-flash", input: "x" })).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    const invalid = await fetch(`${target.url}/v1/responses`, { method: "POST", headers: { authorization: `Bearer ${accessKey}`, "content-type": "application/json" }, body: JSON.stringify({ model: "gemini-2.5-flash", input: [{ type: "item_reference", id: "x" }] }) });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { type: string; param: string } }).error).toMatchObject({ type: "invalid_request_error", param: "input[0].type" });
  });
});
