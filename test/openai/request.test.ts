/** The OpenAI → Gemini request mapping (REFERENCE.md §7), with the replay fixture where it applies. */
import { zodResponseFormat } from "openai/helpers/zod";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defaultMaxBodyBytes } from "../../shared/config/env.ts";
import { readOpenAiConfig } from "../../shared/openai/config.ts";
import { OpenAiRequestError } from "../../shared/openai/errors.ts";
import { toGenerateRequest } from "../../shared/openai/request.ts";
import { chatRequestSchema } from "../../shared/openai/schema.ts";
import { toolCallIdWithSignature } from "../../shared/openai/signature.ts";
import { fixture } from "../helpers/fixtures.ts";

const config = readOpenAiConfig({ OPENAI_MODEL_ALIASES: "gpt-4o=gemini-2.5-flash", OPENAI_IMAGE_URL_ALLOWLIST: "images.example.com, *.cdn.example.org" });

async function map(body: Record<string, unknown>, fetcher?: typeof fetch) {
  return toGenerateRequest(chatRequestSchema.parse({ model: "gemini-2.5-flash", ...body }), config, { fetch: fetcher ?? fetch, bodyLimit: defaultMaxBodyBytes });
}

async function refusal(body: Record<string, unknown>, fetcher?: typeof fetch): Promise<OpenAiRequestError> {
  const error = await map(body, fetcher).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OpenAiRequestError);
  return error as OpenAiRequestError;
}

const weatherCall = (id: string, extra?: unknown) => ({ id, type: "function", function: { name: "get_weather", arguments: '{"location":"Paris"}' }, ...(extra ? { extra_content: extra } : {}) });

describe("messages", () => {
  it("puts system and developer messages into the system instruction and merges consecutive turns", async () => {
    const mapped = await map({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "one" },
        { role: "developer", content: [{ type: "text", text: "Use English." }] },
        { role: "user", content: [{ type: "text", text: "two" }] },
        { role: "assistant", content: "ok" },
      ],
    });
    expect(mapped.body.systemInstruction).toEqual({ parts: [{ text: "Be brief." }, { text: "Use English." }] });
    expect(mapped.body.contents).toEqual([
      { role: "user", parts: [{ text: "one" }, { text: "two" }] },
      { role: "model", parts: [{ text: "ok" }] },
    ]);
  });

  it("sends a conversation of system messages alone as the user turn", async () => {
    const mapped = await map({ messages: [{ role: "system", content: "Say hi." }] });
    expect(mapped.body).toEqual({ contents: [{ role: "user", parts: [{ text: "Say hi." }] }] });
  });

  it("replays a tool round trip as the Gemini SDKs do (fixture gemini_request_replay_history_with_thoughtSignature.json)", async () => {
    const expected = JSON.parse(fixture("gemini_request_replay_history_with_thoughtSignature.json")) as { contents: { role: string; parts: Record<string, unknown>[] }[] };
    const modelTurn = expected.contents[1]!;
    const mapped = await map({
      messages: [
        { role: "user", content: (expected.contents[0]!.parts[0] as { text: string }).text },
        {
          role: "assistant",
          content: "Of course! Someone in Paris might want to know the weather to decide whether to stroll along the Seine, visit an outdoor market, or perhaps opt for a cozy day in a museum. Let me check the weather for you.",
          tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"location":"Paris"}' } }],
        },
        { role: "tool", tool_call_id: "call_1", content: "72\u00B0F and sunny in Paris" },
      ],
    });
    expect(mapped.body.contents.map((content) => content.role)).toEqual(["user", "model", "user"]);
    expect(mapped.body.contents[1]!.parts.at(-1)).toEqual(modelTurn.parts.at(-1));
    const { id: _id, ...response } = expected.contents[2]!.parts[0]!.functionResponse as Record<string, unknown>;
    expect(mapped.body.contents[2]!.parts).toEqual([{ functionResponse: response }]);
  });

  it("restores thought signatures from extra_content first, else from the tool call id", async () => {
    const fromId = toolCallIdWithSignature("CikBcsjafFK168Ib+/==");
    const mapped = await map({
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content: null, tool_calls: [weatherCall("call_a", { google: { thought_signature: "Eu4FCusFARFNMg" } })] },
        { role: "tool", tool_call_id: "call_a", content: "{}" },
        { role: "assistant", content: null, tool_calls: [weatherCall(fromId)] },
        { role: "tool", tool_call_id: fromId, content: "{}" },
      ],
    });
    expect(mapped.body.contents[1]!.parts[0]!.thoughtSignature).toBe("Eu4FCusFARFNMg");
    expect(mapped.body.contents[3]!.parts[0]!.thoughtSignature).toBe("CikBcsjafFK168Ib+/==");
  });

  it("merges parallel tool results into one user turn, named after their calls, JSON objects kept as they are", async () => {
    const mapped = await map({
      messages: [
        { role: "user", content: "both" },
        { role: "assistant", content: null, tool_calls: [weatherCall("a"), { id: "b", type: "function", function: { name: "get_time", arguments: "" } }] },
        { role: "tool", tool_call_id: "a", content: '{"celsius": 3}' },
        { role: "tool", tool_call_id: "b", content: [{ type: "text", text: "14:05" }] },
        { role: "user", content: "thanks" },
      ],
    });
    expect(mapped.body.contents[1]!.parts).toEqual([{ functionCall: { name: "get_weather", args: { location: "Paris" } } }, { functionCall: { name: "get_time", args: {} } }]);
    expect(mapped.body.contents[2]).toEqual({
      role: "user",
      parts: [{ functionResponse: { name: "get_weather", response: { celsius: 3 } } }, { functionResponse: { name: "get_time", response: { result: "14:05" } } }, { text: "thanks" }],
    });
  });

  it("refuses a tool result for an unknown call and arguments that are not a JSON object, naming the field", async () => {
    expect((await refusal({ messages: [{ role: "tool", tool_call_id: "x", content: "1" }] })).param).toBe("messages[0].tool_call_id");
    const badArguments = await refusal({ messages: [{ role: "assistant", tool_calls: [{ id: "a", type: "function", function: { name: "f", arguments: "[1]" } }] }] });
    expect(badArguments.param).toBe("messages[0].tool_calls[0].function.arguments");
    expect((await refusal({ messages: [{ role: "system", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] }] })).param).toBe("messages[0].content[0].type");
  });
});

describe("media", () => {
  const png = "iVBORw0KGgo=";

  it("maps data URLs, audio and files to inline data", async () => {
    const mapped = await map({
      messages: [
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: `data:image/PNG;base64,${png}`, detail: "high" } },
            { type: "image_url", image_url: "data:text/plain,hello%20world" },
            { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
            { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" } },
          ],
        },
      ],
    });
    expect(mapped.body.contents[0]!.parts).toEqual([
      { inlineData: { mimeType: "image/png", data: png } },
      { inlineData: { mimeType: "text/plain", data: btoa("hello world") } },
      { inlineData: { mimeType: "audio/wav", data: "UklGRg==" } },
      { inlineData: { mimeType: "application/pdf", data: "JVBERi0=" } },
    ]);
  });

  it("fetches remote images only from allow-listed https hosts, never internal ones, never following redirects", async () => {
    const seen: string[] = [];
    const fetcher = (async (input: string | URL | Request, init?: RequestInit) => {
      seen.push(String(input));
      expect(init?.redirect).toBe("manual");
      if (String(input).includes("moved")) return new Response(null, { status: 302, headers: { location: "http://127.0.0.1/" } });
      if (String(input).includes("page")) return new Response("<html>", { headers: { "content-type": "text/html" } });
      return new Response(new Uint8Array([1, 2, 3]), { headers: { "content-type": "image/jpeg" } });
    }) as typeof fetch;
    const image = (url: string) => ({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }] });

    const mapped = await map(image("https://images.example.com/cat.jpg"), fetcher);
    expect(mapped.body.contents[0]!.parts).toEqual([{ inlineData: { mimeType: "image/jpeg", data: "AQID" } }]);
    expect((await map(image("https://a.cdn.example.org/x.jpg"), fetcher)).body.contents[0]!.parts[0]!.inlineData).toBeDefined();

    for (const url of ["https://evil.example.net/x.jpg", "http://images.example.com/cat.jpg", "https://127.0.0.1/x.jpg", "not a url"]) {
      const error = await refusal(image(url), fetcher);
      expect(error.param).toBe("messages[0].content[0].image_url.url");
    }
    expect((await refusal(image("https://images.example.com/moved.jpg"), fetcher)).message).toContain("302");
    expect((await refusal(image("https://images.example.com/page"), fetcher)).message).toContain("not an image");
    expect(seen).toEqual(["https://images.example.com/cat.jpg", "https://a.cdn.example.org/x.jpg", "https://images.example.com/moved.jpg", "https://images.example.com/page"]);

    const internal = readOpenAiConfig({ OPENAI_IMAGE_URL_ALLOWLIST: "localhost,10.0.0.8,[::1],metadata.google.internal" });
    for (const url of ["https://localhost/x.png", "https://10.0.0.8/x.png", "https://[::1]/x.png", "https://metadata.google.internal/x.png"]) {
      const body = chatRequestSchema.parse({ model: "m", ...image(url) });
      await expect(toGenerateRequest(body, internal, { fetch: fetcher, bodyLimit: defaultMaxBodyBytes })).rejects.toThrow(/internal address/);
    }
  });
});

describe("tools, output format and generation settings", () => {
  it("declares tools with Gemini's JSON Schema subset and maps tool_choice", async () => {
    const tool = {
      type: "function",
      function: {
        name: "get_weather",
        description: "Weather",
        strict: true,
        parameters: { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: { city: { type: "string", pattern: "^[A-Z]", default: "Paris" } }, required: ["city"], additionalProperties: false },
      },
    };
    const mapped = await map({ messages: [{ role: "user", content: "x" }], tools: [tool], tool_choice: { type: "function", function: { name: "get_weather" } } });
    expect(mapped.body.tools).toEqual([{ functionDeclarations: [{ name: "get_weather", description: "Weather", parametersJsonSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }] }]);
    expect(mapped.body.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } });
    const modes = await Promise.all(["none", "auto", "required"].map((choice) => map({ messages: [{ role: "user", content: "x" }], tools: [tool], tool_choice: choice })));
    expect(modes.map((mode) => mode.body.toolConfig)).toEqual([{ functionCallingConfig: { mode: "NONE" } }, { functionCallingConfig: { mode: "AUTO" } }, { functionCallingConfig: { mode: "ANY" } }]);
    expect((await refusal({ messages: [{ role: "user", content: "x" }], tool_choice: "required" })).param).toBe("tool_choice");
    expect((await refusal({ messages: [{ role: "user", content: "x" }], tools: [tool], tool_choice: { type: "function", function: { name: "other" } } })).param).toBe("tool_choice.function.name");
  });

  it("maps response_format to responseMimeType and responseJsonSchema (zodResponseFormat output included)", async () => {
    const Answer = z.object({ city: z.string(), when: z.object({ day: z.number() }).describe("the day"), tags: z.array(z.enum(["a", "b"])), note: z.string().nullable() });
    const format = zodResponseFormat(Answer, "answer");
    const mapped = await map({ messages: [{ role: "user", content: "x" }], response_format: format });
    const config = mapped.body.generationConfig!;
    expect(config.responseMimeType).toBe("application/json");
    const schema = JSON.stringify(config.responseJsonSchema);
    expect(schema).not.toMatch(/additionalProperties|\$schema|"strict"/);
    expect(config.responseJsonSchema).toMatchObject({ type: "object", required: ["city", "when", "tags", "note"], properties: { tags: { type: "array", items: { type: "string", enum: ["a", "b"] } } } });
    expect((await map({ messages: [{ role: "user", content: "x" }], response_format: { type: "json_object" } })).body.generationConfig).toEqual({ responseMimeType: "application/json" });
  });

  it("maps sampling, limits, stop, seed and penalties; refuses n > 1", async () => {
    const mapped = await map({
      model: "gpt-4o",
      messages: [{ role: "user", content: "x" }],
      max_tokens: 10,
      max_completion_tokens: 20,
      temperature: 0.5,
      top_p: 0.9,
      stop: "END",
      seed: 7,
      n: 1,
      presence_penalty: 0.1,
      frequency_penalty: -0.2,
      user: "someone",
      logit_bias: null,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(mapped).toMatchObject({ model: "gemini-2.5-flash", requestedModel: "gpt-4o", stream: true, includeUsage: true });
    expect(mapped.body.generationConfig).toEqual({ maxOutputTokens: 20, temperature: 0.5, topP: 0.9, stopSequences: ["END"], seed: 7, presencePenalty: 0.1, frequencyPenalty: -0.2 });
    expect((await refusal({ messages: [{ role: "user", content: "x" }], n: 3 })).param).toBe("n");
    expect((await map({ model: "models/gemini-2.5-pro", messages: [{ role: "user", content: "x" }] })).model).toBe("gemini-2.5-pro");
  });

  it("maps reasoning_effort to budgets (2.5) and levels (3), with thoughts shown, and lets extra_body.google.thinking_config override", async () => {
    const thinking = async (model: string, body: Record<string, unknown>) => (await map({ model, messages: [{ role: "user", content: "x" }], ...body })).body.generationConfig?.thinkingConfig;
    expect(await thinking("gemini-2.5-flash", { reasoning_effort: "low" })).toEqual({ thinkingBudget: 1024, includeThoughts: true });
    expect(await thinking("gemini-2.5-flash", { reasoning_effort: "medium" })).toEqual({ thinkingBudget: 8192, includeThoughts: true });
    expect(await thinking("gemini-2.5-flash", { reasoning_effort: "high" })).toEqual({ thinkingBudget: 24576, includeThoughts: true });
    expect(await thinking("gemini-2.5-flash", { reasoning_effort: "none" })).toEqual({ thinkingBudget: 0, includeThoughts: false });
    expect(await thinking("gemini-2.5-pro", { reasoning_effort: "none" })).toEqual({ thinkingBudget: 128, includeThoughts: false });
    expect(await thinking("gemini-3-pro-preview", { reasoning_effort: "medium" })).toEqual({ thinkingLevel: "high", includeThoughts: true });
    expect(await thinking("gemini-3-flash-preview", { reasoning_effort: "minimal" })).toEqual({ thinkingLevel: "minimal", includeThoughts: true });
    expect(await thinking("gemini-2.5-flash", { extra_body: { google: { thinking_config: { thinking_budget: 800, include_thoughts: true } } } })).toEqual({ thinkingBudget: 800, includeThoughts: true });
    expect(await thinking("gemini-3-pro-preview", { reasoning_effort: "low", google: { thinking_config: { thinking_budget: 2048 } } })).toEqual({ thinkingBudget: 2048, includeThoughts: true });
    expect(await thinking("gemini-2.5-flash", {})).toBeUndefined();
  });
});
