/**
 * The simulator additions for the OpenAI surface: parallel function calls, JSON answers for
 * `responseMimeType: application/json`, and Gemini's OpenAI-compatible endpoint under
 * `/v1beta/openai/` (Bearer key, array-wrapped errors, streamed chunks ending with [DONE]).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GeminiSimulator, parseSseEvents, partsOf } from "./index.ts";

let sim: GeminiSimulator;
let key: string;

beforeAll(async () => {
  sim = await GeminiSimulator.start({ chunkChars: 6 });
  key = sim.createKey();
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => sim.reset());

function generate(body: Record<string, unknown>): Promise<Response> {
  return fetch(`${sim.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-goog-api-key": key },
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "question" }] }], ...body }),
  });
}

function compat(path: string, body: unknown, bearer = key): Promise<Response> {
  return fetch(`${sim.url}${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` }, body: JSON.stringify(body) });
}

describe("simulator extensions for OpenAI clients", () => {
  it("answers parallel function calls in one step, only the first signed", async () => {
    sim.enqueue({ kind: "function-call", name: "get_weather", args: { city: "Oslo" }, parallel: [{ name: "get_time", args: { zone: "CET" } }] });
    const events = parseSseEvents(await (await generate({})).text());
    const parts = events.flatMap(partsOf);
    expect(parts.map((part) => part.functionCall)).toEqual([{ name: "get_weather", args: { city: "Oslo" } }, { name: "get_time", args: { zone: "CET" } }]);
    expect(typeof parts[0]!.thoughtSignature).toBe("string");
    expect(parts[1]!.thoughtSignature).toBeUndefined();
  });

  it("answers JSON following responseJsonSchema or responseSchema, and {echo} without a schema", async () => {
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, days: { type: "array", items: { $ref: "#/$defs/Day" } }, unit: { enum: ["C", "F"] }, maybe: { anyOf: [{ type: "integer" }, { type: "null" }] } },
      $defs: { Day: { type: "object", properties: { high: { type: "number" }, sunny: { type: "boolean" } } } },
    };
    const text = (events: unknown[]) => events.flatMap(partsOf).map((part) => part.text ?? "").join("");
    const jsonSchema = JSON.parse(text(parseSseEvents(await (await generate({ generationConfig: { responseMimeType: "application/json", responseJsonSchema: schema } })).text())));
    expect(jsonSchema).toEqual({ city: "city value", days: [{ high: 1, sunny: true }], unit: "C", maybe: 1 });
    const openApi = JSON.parse(text(parseSseEvents(await (await generate({ generationConfig: { responseMimeType: "application/json", responseSchema: { type: "OBJECT", properties: { n: { type: "INTEGER" } } } } })).text())));
    expect(openApi).toEqual({ n: 1 });
    expect(JSON.parse(text(parseSseEvents(await (await generate({ generationConfig: { responseMimeType: "application/json" } })).text())))).toEqual({ echo: "question" });
  });

  it("serves /v1beta/openai/chat/completions with a Bearer key, plain and streamed", async () => {
    const plain = (await (await compat("/v1beta/openai/chat/completions", { model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] })).json()) as { choices: { message: { content: string } }[] };
    expect(plain.choices[0]!.message.content).toBe("Echo: hi");
    expect(sim.requests[0]).toMatchObject({ action: "openai", model: "gemini-2.5-flash", key });

    const streamed = await (await compat("/v1beta/openai/chat/completions", { model: "gemini-2.5-flash", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: [{ type: "text", text: "streaming" }] }] })).text();
    expect(streamed.endsWith("data: [DONE]\n\n")).toBe(true);
    const chunks = parseSseEvents(streamed) as { choices: { delta: { content: string; role: string }; finish_reason?: string }[]; usage?: unknown }[];
    expect(chunks.map((chunk) => chunk.choices[0]!.delta.content).join("")).toBe("Echo: streaming");
    expect(chunks.every((chunk) => chunk.choices[0]!.delta.role === "assistant")).toBe(true);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.at(-1)!.usage).toBeDefined();

    const models = (await (await fetch(`${sim.url}/v1beta/openai/models`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: { id: string }[] };
    expect(models.data.map((model) => model.id)).toContain("models/gemini-2.5-flash");
  });

  it("refuses bad keys and injected errors on /v1beta/openai/ with array-wrapped Google errors", async () => {
    const refused = await compat("/v1beta/openai/chat/completions", { model: "gemini-2.5-flash", messages: [] }, "AIzaSy" + "UnknownKey".repeat(3) + "123");
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { error: { status: string } }[];
    expect(body[0]!.error.status).toBe("INVALID_ARGUMENT");

    sim.enqueue({ kind: "http-error", status: 503 }, { action: "openai" });
    const overloaded = await compat("/v1beta/openai/chat/completions", { model: "gemini-2.5-flash", messages: [{ role: "user", content: "x" }] });
    expect(overloaded.status).toBe(503);
    expect(Array.isArray(await overloaded.json())).toBe(true);
  });
});
