/**
 * The Gemini simulator over real loopback HTTP: wire format (checked against the captures in
 * test/fixtures/gemini-wire/), key behaviours, every fault kind, the control API and the official
 * @google/genai SDK talking to it directly.
 */
import { readFileSync } from "node:fs";
import { GoogleGenAI } from "@google/genai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  continuingAnswer,
  finishReasonOf,
  GeminiSimulator,
  parseSseEvents,
  partsOf,
  thoughtText,
  visibleText,
  type KeyBehaviour,
} from "./index.ts";

const fixtureDirectory = new URL("../fixtures/gemini-wire/", import.meta.url);

/** A fixture body without its `//` source comment. */
function fixture(name: string): unknown {
  const text = readFileSync(new URL(name, fixtureDirectory), "utf8");
  return JSON.parse(
    text
      .split("\n")
      .filter((line) => !line.startsWith("//"))
      .join("\n"),
  );
}

const prompt = { contents: [{ role: "user", parts: [{ text: "Tell me something about the sea, please." }] }] };
const flash = "gemini-2.5-flash";

let sim: GeminiSimulator;
let key: string;

beforeAll(async () => {
  sim = await GeminiSimulator.start();
  key = sim.createKey();
});

afterAll(async () => {
  await sim.close();
});

afterEach(() => {
  sim.reset();
  sim.chunkChars = 24;
  sim.intervalMs = 0;
});

function post(path: string, body: unknown, options: { key?: string | null; base?: string; signal?: AbortSignal } = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const useKey = options.key === undefined ? key : options.key;
  if (useKey !== null) headers["x-goog-api-key"] = useKey;
  return fetch(`${options.base ?? sim.url}${path}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: options.signal ?? null,
  });
}

function stream(model = flash, body: unknown = prompt, options: Parameters<typeof post>[2] = {}): Promise<Response> {
  return post(`/v1beta/models/${model}:streamGenerateContent?alt=sse`, body, options);
}

async function streamEvents(model = flash, body: unknown = prompt, options: Parameters<typeof post>[2] = {}): Promise<Record<string, unknown>[]> {
  const response = await stream(model, body, options);
  expect(response.status).toBe(200);
  return parseSseEvents(await response.text()) as Record<string, unknown>[];
}

function usage(event: Record<string, unknown>): Record<string, number> {
  return event.usageMetadata as Record<string, number>;
}

describe("models", () => {
  it("lists models with pagination like the real API", async () => {
    const first = await fetch(`${sim.url}/v1beta/models?pageSize=4&key=${key}`);
    expect(first.status).toBe(200);
    const page = (await first.json()) as { models: { name: string; supportedGenerationMethods: string[] }[]; nextPageToken?: string };
    expect(page.models).toHaveLength(4);
    expect(page.models[0]?.name).toBe("models/gemini-2.5-flash");
    expect(page.nextPageToken).toBeTruthy();
    const second = (await (await fetch(`${sim.url}/v1beta/models?pageSize=4&pageToken=${page.nextPageToken}&key=${key}`)).json()) as typeof page;
    expect(second.models.map((model) => model.name)).toEqual(["models/gemini-2.5-flash-image", "models/gemini-2.5-flash-preview-tts", "models/gemini-embedding-001", "models/text-embedding-004"]);
    expect(second.nextPageToken).toBeUndefined();
    expect(sim.requests[0]?.action).toBe("models.list");
    expect(sim.requests[0]?.keyInUrl).toBe(true);
  });

  it("gets one model, and answers 404 NOT_FOUND for an unknown one", async () => {
    const model = (await (await fetch(`${sim.url}/v1/models/gemini-2.5-pro`, { headers: { "x-goog-api-key": key } })).json()) as Record<string, unknown>;
    expect(model).toMatchObject({ name: "models/gemini-2.5-pro", displayName: "Gemini 2.5 Pro" });
    const missing = await fetch(`${sim.url}/v1beta/models/gemini-9-ultra`, { headers: { "x-goog-api-key": key } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/json; charset=UTF-8");
    expect(await missing.json()).toEqual({
      error: {
        code: 404,
        message:
          "models/gemini-9-ultra is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.",
        status: "NOT_FOUND",
      },
    });
  });

  it("refuses to generate with an embedding model and to embed with a generative one", async () => {
    const generate = await post("/v1beta/models/text-embedding-004:generateContent", prompt);
    expect(generate.status).toBe(404);
    const embed = await post(`/v1alpha/models/${flash}:embedContent`, { content: { parts: [{ text: "x" }] } });
    expect(embed.status).toBe(404);
    expect(((await embed.json()) as { error: { message: string } }).error.message).toContain("v1alpha, or is not supported for embedContent");
  });

  it("answers unknown paths with Google's HTML 404", async () => {
    const response = await fetch(`${sim.url}/v1beta/corpora`, { headers: { "x-goog-api-key": key } });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("text/html");
  });
});

describe("keys", () => {
  it("answers 403 unregistered caller without a key and 400 API_KEY_INVALID for an unknown one", async () => {
    const missing = await post(`/v1beta/models/${flash}:generateContent`, prompt, { key: null });
    expect(missing.status).toBe(403);
    expect(await missing.json()).toEqual(fixture("error_403_PERMISSION_DENIED_unregistered_caller.json"));
    const unknown = await post(`/v1beta/models/${flash}:generateContent`, prompt, { key: "AIzaSy" + "UnknownKey".repeat(3) + "123" });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual(fixture("error_400_INVALID_ARGUMENT_API_KEY_INVALID.json"));
  });

  it("reads the key from x-goog-api-key, ?key= and Authorization: Bearer", async () => {
    await post(`/v1beta/models/${flash}:countTokens`, prompt);
    await fetch(`${sim.url}/v1beta/models/${flash}:countTokens?key=${key}`, { method: "POST", body: JSON.stringify(prompt) });
    await fetch(`${sim.url}/v1beta/models/${flash}:countTokens`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: JSON.stringify(prompt) });
    expect(sim.requests.map((request) => [request.key, request.keyInUrl, request.status])).toEqual([
      [key, false, 200],
      [key, true, 200],
      [key, false, 200],
    ]);
    expect(sim.requests[1]?.query.key).toBe(key);
  });

  it("creates keys shaped like real ones", () => {
    const created = sim.createKey();
    expect(created).toMatch(/^AIzaSim[A-Za-z0-9_-]{32}$/);
    expect(created).toHaveLength(39);
  });

  const expectations: Record<Exclude<KeyBehaviour, "ok">, { status: number; check: (body: ErrorBody) => void }> = {
    invalid: { status: 400, check: (body) => expect(body).toEqual(fixture("error_400_INVALID_ARGUMENT_API_KEY_INVALID.json")) },
    suspended: {
      status: 403,
      check: (body) => {
        expect(body.error.status).toBe("PERMISSION_DENIED");
        expect(body.error.message).toMatch(/^Permission denied: Consumer 'api_key:AIzaSim.*' has been suspended\.$/);
        expect(body.error.details?.[0]).toMatchObject({ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "CONSUMER_SUSPENDED" });
      },
    },
    "rate-limit-minute": {
      status: 429,
      check: (body) => {
        expect(body.error.status).toBe("RESOURCE_EXHAUSTED");
        expect(detail(body, "QuotaFailure")).toMatchObject({ violations: [{ quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", quotaDimensions: { model: flash } }] });
        expect(detail(body, "RetryInfo")).toEqual({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "37s" });
        expect(detail(body, "Help")).toBeDefined();
      },
    },
    "quota-day": {
      status: 429,
      check: (body) => {
        expect(detail(body, "QuotaFailure")).toMatchObject({ violations: [{ quotaId: "GenerateRequestsPerDayPerProjectPerModel-FreeTier" }] });
        expect(detail(body, "RetryInfo")).toBeDefined();
      },
    },
    "limit-zero": {
      status: 429,
      check: (body) => {
        expect(body.error.message).toContain("limit: 0");
        expect(body.error.status).toBe("RESOURCE_EXHAUSTED");
      },
    },
    location: { status: 400, check: (body) => expect(body).toEqual(fixture("error_400_FAILED_PRECONDITION_user_location.json")) },
    overload: { status: 503, check: (body) => expect(body).toEqual(fixture("error_503_UNAVAILABLE_overloaded.json")) },
  };

  for (const [behaviour, expected] of Object.entries(expectations)) {
    it(`behaviour ${behaviour} answers ${expected.status} with Gemini's body`, async () => {
      const bad = sim.createKey(behaviour as KeyBehaviour);
      const response = await stream(flash, prompt, { key: bad });
      expect(response.status).toBe(expected.status);
      expect(response.headers.get("content-type")).toBe("application/json; charset=UTF-8");
      expected.check((await response.json()) as ErrorBody);
      expect(sim.requests.at(-1)?.behaviour).toBe(behaviour);
    });
  }

  it("scopes behaviours to a model or a hop, and takes a retryDelay", async () => {
    const scoped = sim.createKey();
    sim.setKeyBehaviour(scoped, "rate-limit-minute", { model: "gemini-2.5-pro", retryDelay: "750ms" });
    sim.setKeyBehaviour(scoped, "location", { hop: "hk" });
    expect((await stream(flash, prompt, { key: scoped })).status).toBe(200);
    const limited = await stream("gemini-2.5-pro", prompt, { key: scoped });
    expect(limited.status).toBe(429);
    expect(detail((await limited.json()) as ErrorBody, "RetryInfo")).toMatchObject({ retryDelay: "750ms" });
    expect((await stream(flash, prompt, { key: scoped, base: sim.hopUrl("hk") })).status).toBe(400);
    expect((await stream(flash, prompt, { key: scoped, base: sim.hopUrl("us") })).status).toBe(200);
    sim.setKeyBehaviour(scoped, "ok");
    expect((await stream("gemini-2.5-pro", prompt, { key: scoped })).status).toBe(200);
  });

  it("refuses every key through a hop in a refused region", async () => {
    sim.setHopBehaviour("hkg", "location");
    const refused = await fetch(`${sim.hopUrl("hkg")}/v1beta/models`, { headers: { "x-goog-api-key": key } });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual(fixture("error_400_FAILED_PRECONDITION_user_location.json"));
    expect((await fetch(`${sim.hopUrl("iad")}/v1beta/models`, { headers: { "x-goog-api-key": key } })).status).toBe(200);
  });

  it("counts requests per key and enforces limits", async () => {
    const limited = sim.createKey();
    sim.setKeyLimits(limited, { requestsPerMinute: 2 });
    const statuses: number[] = [];
    for (let index = 0; index < 3; index++) statuses.push((await post(`/v1beta/models/${flash}:generateContent`, prompt, { key: limited })).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await post("/v1beta/models/gemini-2.5-pro:generateContent", prompt, { key: limited })).status).toBe(200);
    expect(sim.countsPerKey()[limited]).toBe(4);
    expect(sim.countsPerKey({ model: flash })[limited]).toBe(3);
    expect(sim.keyUsage(limited)).toMatchObject({ total: 4, lastMinute: 4, peakPerMinute: 4, byModel: { [flash]: 3, "gemini-2.5-pro": 1 } });
  });
});

interface ErrorBody {
  error: { code: number; message: string; status: string; details?: Record<string, unknown>[] };
}

function detail(body: ErrorBody, type: string): Record<string, unknown> | undefined {
  return body.error.details?.find((item) => item["@type"] === `type.googleapis.com/google.rpc.${type}`);
}

describe("streaming", () => {
  it("frames SSE events as `data: {json}` separated by CRLF CRLF, in Google's compact JSON", async () => {
    sim.setAnswer(() => "The sea is vast and deep, covering most of the planet's surface.");
    const response = await stream();
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const raw = await response.text();
    const blocks = raw.split("\r\n\r\n");
    expect(blocks.at(-1)).toBe("");
    expect(blocks.length - 1).toBe(3);
    for (const block of blocks.slice(0, -1)) {
      expect(block.startsWith('data: {"candidates": [{"content": {"parts": [{"text": ')).toBe(true);
      expect(block).not.toContain("\n");
    }
  });

  it("carries cumulative usage, one responseId and modelVersion, and finishReason only at the end", async () => {
    const answer = "A ".repeat(60);
    sim.setAnswer(() => answer);
    sim.chunkChars = 10;
    const events = await streamEvents();
    expect(events).toHaveLength(12);
    expect(visibleText(events)).toBe(answer);
    expect(new Set(events.map((event) => event.responseId)).size).toBe(1);
    expect(events.every((event) => event.modelVersion === flash)).toBe(true);
    const candidates = events.map((event) => usage(event).candidatesTokenCount ?? 0);
    expect(candidates).toEqual([...candidates].sort((a, b) => a - b));
    expect(candidates.at(-1)).toBe(30);
    for (const event of events) {
      const { promptTokenCount = 0, candidatesTokenCount = 0, thoughtsTokenCount = 0, totalTokenCount } = usage(event);
      expect(totalTokenCount).toBe(promptTokenCount + candidatesTokenCount + thoughtsTokenCount);
      expect(thoughtsTokenCount).toBeGreaterThan(0); // billed although thoughts were not requested
      const candidate = (event.candidates as Record<string, unknown>[])[0];
      expect(candidate).toMatchObject({ index: 0, content: { role: "model" } });
    }
    expect(events.map(finishReasonOf)).toEqual([...Array(11).fill(undefined), "STOP"]);
  });

  it("streams thoughts first with includeThoughts, and signs the first answer part", async () => {
    const body = { ...prompt, generationConfig: { thinkingConfig: { includeThoughts: true } } };
    const events = await streamEvents(flash, body);
    const parts = events.flatMap(partsOf);
    const firstAnswer = parts.findIndex((part) => part.thought !== true);
    expect(firstAnswer).toBeGreaterThan(0);
    expect(parts.slice(firstAnswer).every((part) => part.thought !== true)).toBe(true);
    expect(thoughtText(events)).toContain("Considering the request");
    expect(parts[firstAnswer]?.thoughtSignature).toEqual(expect.any(String));
    expect(parts.filter((part) => part.thoughtSignature !== undefined)).toHaveLength(1);
    expect(visibleText(events)).toBe("Echo: Tell me something about the sea, please.");
    const thoughts = events.map((event) => usage(event).thoughtsTokenCount ?? 0);
    expect(thoughts).toEqual([...thoughts].sort((a, b) => a - b));
  });

  it("turns thinking off with thinkingBudget 0 where the model allows it", async () => {
    const events = await streamEvents(flash, { ...prompt, generationConfig: { thinkingConfig: { thinkingBudget: 0 } } });
    expect(events.every((event) => usage(event).thoughtsTokenCount === undefined)).toBe(true);
  });

  it("ends Gemini 3 answers with an empty text part carrying the thoughtSignature and finishReason", async () => {
    const events = await streamEvents("gemini-3-pro-preview");
    const last = events.at(-1) as Record<string, unknown>;
    expect(partsOf(last)).toEqual([{ text: "", thoughtSignature: expect.any(String) }]);
    expect(finishReasonOf(last)).toBe("STOP");
    expect(events.slice(0, -1).every((event) => finishReasonOf(event) === undefined)).toBe(true);
  });

  it("writes the JSON-array form without alt=sse, parseable as one JSON document", async () => {
    sim.chunkChars = 8;
    const response = await post(`/v1beta/models/${flash}:streamGenerateContent`, prompt);
    expect(response.headers.get("content-type")).toBe("application/json; charset=UTF-8");
    const raw = await response.text();
    expect(raw.startsWith("[{\n")).toBe(true);
    expect(raw).toContain("\n}\n,\r\n{\n");
    expect(raw.endsWith("\n]")).toBe(true);
    const chunks = JSON.parse(raw) as unknown[];
    expect(chunks.length).toBeGreaterThan(3);
    expect(visibleText(chunks)).toBe("Echo: Tell me something about the sea, please.");
    expect(finishReasonOf(chunks.at(-1))).toBe("STOP");
  });

  it("answers generateContent with one pretty-printed response", async () => {
    const response = await post(`/v1beta/models/${flash}:generateContent`, { ...prompt, generationConfig: { thinkingConfig: { includeThoughts: true } } });
    const raw = await response.text();
    expect(raw).toContain('\n  "candidates": [\n');
    const body = JSON.parse(raw) as Record<string, unknown>;
    const parts = partsOf(body);
    expect(parts).toHaveLength(2);
    expect(parts[0]?.thought).toBe(true);
    expect(parts[1]).toMatchObject({ text: "Echo: Tell me something about the sea, please.", thoughtSignature: expect.any(String) });
    expect(finishReasonOf(body)).toBe("STOP");
    expect(usage(body).candidatesTokenCount).toBe(12);
  });

  it("stops at maxOutputTokens with MAX_TOKENS (thinking counts)", async () => {
    sim.setAnswer(() => "x".repeat(400));
    const body = { ...prompt, generationConfig: { maxOutputTokens: 50, thinkingConfig: { thinkingBudget: 0 } } };
    const events = await streamEvents(flash, body);
    expect(visibleText(events)).toHaveLength(200);
    expect(finishReasonOf(events.at(-1))).toBe("MAX_TOKENS");
  });

  it("paces events by intervalMs", async () => {
    sim.intervalMs = 15;
    sim.chunkChars = 10;
    const started = Date.now();
    const events = await streamEvents();
    expect(events.length).toBeGreaterThanOrEqual(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15 * (events.length - 1) - 5);
  });

  it("rejects a body that is not JSON, and a request without contents", async () => {
    const invalid = await post(`/v1beta/models/${flash}:generateContent`, "{not json");
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as ErrorBody;
    expect(body.error.status).toBe("INVALID_ARGUMENT");
    expect(body.error.message).toMatch(/^Invalid JSON payload received/);
    const empty = await post(`/v1beta/models/${flash}:generateContent`, {});
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as ErrorBody).error.message).toContain("contents is not specified");
  });

  it("rejects a Gemini 3 replayed functionCall without thoughtSignature", async () => {
    const history = {
      contents: [
        { role: "user", parts: [{ text: "Weather in Paris?" }] },
        { role: "model", parts: [{ functionCall: { name: "get_weather", args: { location: "Paris" } } }] },
        { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { result: "sunny" } } }] },
      ],
    };
    const refused = await stream("gemini-3-pro-preview", history);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as ErrorBody).error.message).toContain("Function call is missing a thought_signature");
    const signed = structuredClone(history);
    Object.assign(signed.contents[1]!.parts[0]!, { thoughtSignature: "c2lnbmF0dXJl" });
    expect((await stream("gemini-3-pro-preview", signed)).status).toBe(200);
    expect((await stream(flash, history)).status).toBe(200);
  });

  it("records the hop, the path without it, the model and the action", async () => {
    await stream(flash, prompt, { base: sim.hopUrl("netlify-cmh") });
    expect(sim.requests[0]).toMatchObject({
      hop: "netlify-cmh",
      path: `/v1beta/models/${flash}:streamGenerateContent`,
      query: { alt: "sse" },
      model: flash,
      action: "streamGenerateContent",
      method: "POST",
      key,
      status: 200,
      body: prompt,
    });
    expect(sim.requests[0]?.headers["content-type"]).toBe("application/json");
  });
});

describe("faults", () => {
  const answer = "One two three four five six seven eight nine ten eleven twelve.";

  it("cut/close ends cleanly without finishReason after N characters", async () => {
    sim.setAnswer(() => answer);
    sim.enqueue({ kind: "cut", afterChars: 20, mode: "close" });
    const events = await streamEvents();
    expect(visibleText(events)).toBe(answer.slice(0, 20));
    expect(events.every((event) => finishReasonOf(event) === undefined)).toBe(true);
    expect(sim.requests[0]?.fault).toMatchObject({ kind: "cut" });
    // Consumed once: the next request is whole.
    expect(visibleText(await streamEvents())).toBe(answer);
  });

  it("cut/reset destroys the connection mid-stream", async () => {
    sim.setAnswer(() => answer);
    sim.enqueue({ kind: "cut", afterChars: 30, mode: "reset" });
    const response = await stream();
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });

  it("cut/stall keeps the connection silent until the client aborts", async () => {
    sim.setAnswer(() => answer);
    sim.enqueue({ kind: "cut", afterChars: 24, mode: "stall" });
    const controller = new AbortController();
    const response = await stream(flash, prompt, { signal: controller.signal });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("One two three");
    const next = reader.read();
    const outcome = await Promise.race([next.then(() => "data"), new Promise((resolve) => setTimeout(() => resolve("silent"), 100))]);
    expect(outcome).toBe("silent");
    controller.abort();
    await expect(next).rejects.toThrow();
  });

  it("close() finishes promptly while a stream is stalled", async () => {
    const own = await GeminiSimulator.start();
    const ownKey = own.createKey();
    own.enqueue({ kind: "cut", afterChars: 5, mode: "stall" });
    own.enqueue({ kind: "first-byte-delay", ms: 60_000 });
    const stalled = await stream(flash, prompt, { key: ownKey, base: own.url });
    const body = stalled.text().catch(() => "failed");
    const waiting = stream(flash, prompt, { key: ownKey, base: own.url }).catch(() => "failed");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await body).toBe("failed");
    expect(await waiting).toBe("failed");
  });

  it("empty-stop finishes STOP with no text", async () => {
    sim.enqueue({ kind: "empty-stop" });
    const events = await streamEvents();
    expect(visibleText(events)).toBe("");
    expect(finishReasonOf(events.at(-1))).toBe("STOP");
    sim.enqueue({ kind: "empty-stop", shape: "empty-text" });
    const other = await streamEvents();
    expect(partsOf(other.at(-1))).toEqual([{ text: "" }]);
  });

  it("no-finish sends the whole text without a finishReason", async () => {
    sim.setAnswer(() => answer);
    sim.enqueue({ kind: "no-finish" });
    const events = await streamEvents();
    expect(visibleText(events)).toBe(answer);
    expect(events.map(finishReasonOf).filter(Boolean)).toEqual([]);
  });

  it("error-in-stream sends text, then an overloaded error event, then ends", async () => {
    sim.setAnswer(() => answer);
    sim.enqueue({ kind: "error-in-stream", afterChars: 10 });
    const response = await stream();
    expect(response.status).toBe(200);
    const events = parseSseEvents(await response.text()) as Record<string, unknown>[];
    expect(visibleText(events.slice(0, -1))).toBe(answer.slice(0, 10));
    expect(events.at(-1)).toEqual({ error: { code: 503, message: "The model is overloaded. Please try again later.", status: "UNAVAILABLE" } });
  });

  it("http-error answers with the fixture body for the status, or the given body", async () => {
    sim.enqueue({ kind: "http-error", status: 500 });
    const internal = await stream();
    expect(internal.status).toBe(500);
    expect(await internal.json()).toEqual(fixture("error_500_INTERNAL.json"));
    sim.enqueue({ kind: "http-error", status: 503 });
    expect(await (await stream()).json()).toEqual(fixture("error_503_UNAVAILABLE_overloaded.json"));
    const wrapped = [{ error: { code: 503, message: "wrapped", status: "UNAVAILABLE" } }];
    sim.enqueue({ kind: "http-error", status: 503, body: wrapped });
    expect(await (await stream()).json()).toEqual(wrapped);
  });

  it("finish ends with the given reason; MALFORMED_FUNCTION_CALL has no content and a finishMessage", async () => {
    sim.setAnswer(() => answer);
    sim.enqueue({ kind: "finish", reason: "SAFETY", afterChars: 12 });
    const safety = await streamEvents();
    expect(visibleText(safety)).toBe(answer.slice(0, 12));
    expect(finishReasonOf(safety.at(-1))).toBe("SAFETY");
    sim.enqueue({ kind: "finish", reason: "MALFORMED_FUNCTION_CALL" });
    const malformed = await streamEvents();
    expect(malformed).toHaveLength(1);
    const candidate = (malformed[0]!.candidates as Record<string, unknown>[])[0]!;
    expect(candidate.content).toBeUndefined();
    expect(candidate).toMatchObject({ finishReason: "MALFORMED_FUNCTION_CALL", finishMessage: expect.stringContaining("Malformed function call") });
  });

  it("block answers 200 with only promptFeedback.blockReason", async () => {
    sim.enqueue({ kind: "block", reason: "PROHIBITED_CONTENT" });
    const events = await streamEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ promptFeedback: { blockReason: "PROHIBITED_CONTENT" } });
    expect(events[0]!.candidates).toBeUndefined();
    sim.enqueue({ kind: "block", reason: "PROHIBITED_CONTENT" });
    const whole = (await (await post(`/v1beta/models/${flash}:generateContent`, prompt)).json()) as Record<string, unknown>;
    expect(Object.keys(whole)).toEqual(Object.keys(fixture("gemini_promptFeedback_blockReason_PROHIBITED_CONTENT.json") as object).concat("responseId"));
  });

  it("first-byte-delay holds the status line", async () => {
    sim.enqueue({ kind: "first-byte-delay", ms: 120 });
    const started = Date.now();
    const response = await stream();
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    expect(response.status).toBe(200);
    expect(visibleText(parseSseEvents(await response.text()))).toContain("Echo:");
  });

  it("function-call answers a signed functionCall part", async () => {
    sim.enqueue({ kind: "function-call", name: "get_weather", args: { location: "Paris" } });
    const events = await streamEvents();
    const last = events.at(-1);
    expect(partsOf(last)).toEqual([{ functionCall: { name: "get_weather", args: { location: "Paris" } }, thoughtSignature: expect.any(String) }]);
    expect(last).toMatchObject({ candidates: [{ finishReason: "STOP", finishMessage: "Model generated function call(s)." }] });
  });

  it("error-in-stream also ends the JSON-array form, with a custom error object", async () => {
    const error = { error: { code: 500, message: "An internal error has occurred.", status: "INTERNAL" } };
    sim.enqueue({ kind: "error-in-stream", afterChars: 4, error });
    const raw = await (await post(`/v1beta/models/${flash}:streamGenerateContent`, prompt)).text();
    const chunks = JSON.parse(raw) as unknown[];
    expect(chunks.at(-1)).toEqual(error);
    expect(visibleText(chunks.slice(0, -1))).toBe("Echo");
  });

  it("hangup drops the connection before any byte", async () => {
    sim.enqueue({ kind: "hangup" });
    await expect(stream()).rejects.toThrow();
  });

  it("matches faults by key, model, hop and action, and repeats them `times`", async () => {
    const other = sim.createKey();
    sim.enqueue({ kind: "http-error", status: 500, times: 2 }, { key: other, hop: "a" });
    sim.enqueue({ kind: "http-error", status: 503 }, { model: "gemini-2.5-pro" });
    sim.enqueue({ kind: "http-error", status: 504 }, { action: "embedContent" });
    expect((await stream(flash, prompt, { key: other })).status).toBe(200);
    expect((await stream(flash, prompt, { key: other, base: sim.hopUrl("a") })).status).toBe(500);
    expect((await stream(flash, prompt, { key: other, base: sim.hopUrl("a") })).status).toBe(500);
    expect((await stream(flash, prompt, { key: other, base: sim.hopUrl("a") })).status).toBe(200);
    expect((await stream("gemini-2.5-pro")).status).toBe(503);
    expect((await post("/v1beta/models/gemini-embedding-001:embedContent", { content: { parts: [{ text: "x" }] } })).status).toBe(504);
    expect(sim.pendingFaults).toBe(0);
  });

  it("applies faults to non-streamed generateContent too", async () => {
    sim.setAnswer(() => answer);
    sim.enqueue({ kind: "cut", afterChars: 9, mode: "close" });
    const cut = await (await post(`/v1beta/models/${flash}:generateContent`, prompt)).text();
    expect(() => JSON.parse(cut)).toThrow();
    expect(cut.endsWith(`"text": "${answer.slice(0, 9)}`)).toBe(true);
    sim.enqueue({ kind: "error-in-stream", afterChars: 5 });
    expect((await post(`/v1beta/models/${flash}:generateContent`, prompt)).status).toBe(503);
    sim.enqueue({ kind: "no-finish" });
    const whole = (await (await post(`/v1beta/models/${flash}:generateContent`, prompt)).json()) as Record<string, unknown>;
    expect(visibleText(whole)).toBe(answer);
    expect(finishReasonOf(whole)).toBeUndefined();
  });
});

describe("answers", () => {
  it("continuingAnswer answers the rest after a prefilled model turn, repeating an overlap", async () => {
    const full = "The quick brown fox jumps over the lazy dog.";
    sim.setAnswer(continuingAnswer(full, { repeat: 4 }));
    const continuation = {
      contents: [...prompt.contents, { role: "model", parts: [{ text: "The quick brown fox" }] }],
    };
    expect(visibleText(await streamEvents(flash, continuation))).toBe(" fox jumps over the lazy dog.");
    expect(visibleText(await streamEvents())).toBe(full);
  });

  it("uses a fault's text for that request only", async () => {
    sim.enqueue({ kind: "pace", text: "Just this once." });
    expect(visibleText(await streamEvents())).toBe("Just this once.");
    expect(visibleText(await streamEvents())).toContain("Echo:");
  });

  it("reports a fault's cachedTokens as cached prompt tokens, included in the prompt count", async () => {
    const plain = usage((await streamEvents()).at(-1)!);
    sim.enqueue({ kind: "pace", cachedTokens: 500 });
    const cached = (await streamEvents()).at(-1)!;
    expect(usage(cached)).toMatchObject({ promptTokenCount: plain.promptTokenCount! + 500, cachedContentTokenCount: 500 });
    expect(cached.usageMetadata).toMatchObject({ cacheTokensDetails: [{ modality: "TEXT", tokenCount: 500 }] });
    expect(usage((await streamEvents()).at(-1)!).cachedContentTokenCount).toBeUndefined();
  });
});

describe("waiting for requests", () => {
  it("resolves with a request already received or the next matching one", async () => {
    sim.enqueue({ kind: "first-byte-delay", ms: 50 });
    const pending = sim.waitForRequest((request) => request.hop === "late");
    const response = stream(flash, prompt, { base: sim.hopUrl("late") });
    const request = await pending;
    expect(request.status).toBeUndefined(); // still in its first-byte delay
    expect((await response).status).toBe(200);
    expect(await sim.waitForRequest((candidate) => candidate.hop === "late")).toBe(request);
    await expect(sim.waitForRequest((candidate) => candidate.hop === "never", 20)).rejects.toThrow(/within 20 ms/);
  });
});

describe("embeddings and tokens", () => {
  it("embeds deterministically and honours outputDimensionality", async () => {
    const request = { content: { parts: [{ text: "hello world" }] }, outputDimensionality: 16 };
    const first = (await (await post("/v1beta/models/gemini-embedding-001:embedContent", request)).json()) as { embedding: { values: number[] } };
    const second = (await (await post("/v1beta/models/gemini-embedding-001:embedContent", request)).json()) as typeof first;
    expect(first.embedding.values).toHaveLength(16);
    expect(first.embedding.values).toEqual(second.embedding.values);
    const full = (await (await post("/v1beta/models/text-embedding-004:embedContent", { content: { parts: [{ text: "hello world" }] } })).json()) as typeof first;
    expect(full.embedding.values).toHaveLength(768);
  });

  it("batch-embeds and counts tokens", async () => {
    const batch = (await (
      await post("/v1beta/models/gemini-embedding-001:batchEmbedContents", {
        requests: ["a", "b"].map((text) => ({ model: "models/gemini-embedding-001", content: { parts: [{ text }] }, outputDimensionality: 4 })),
      })
    ).json()) as { embeddings: { values: number[] }[] };
    expect(batch.embeddings).toHaveLength(2);
    expect(batch.embeddings[0]?.values).toHaveLength(4);
    const count = (await (await post(`/v1beta/models/${flash}:countTokens`, prompt)).json()) as Record<string, unknown>;
    expect(count).toEqual({ totalTokens: 10, promptTokensDetails: [{ modality: "TEXT", tokenCount: 10 }] });
  });
});

describe("control API", () => {
  it("creates keys, queues faults, lists requests and resets over HTTP", async () => {
    const control = (path: string, body?: unknown): Promise<Response> =>
      fetch(`${sim.url}/__sim/${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
    const { key: created } = (await (await control("keys", { behaviour: "ok" })).json()) as { key: string };
    expect(created).toMatch(/^AIzaSim/);
    expect((await control("fault", { fault: { kind: "http-error", status: 500 }, match: { key: created } })).status).toBe(200);
    expect((await control("fault", { fault: { kind: "nonsense" } })).status).toBe(400);
    expect((await control("behaviour", { hop: "x", behaviour: "location" })).status).toBe(200);
    expect((await control("answer", { text: "fixed" })).status).toBe(200);
    expect((await stream(flash, prompt, { key: created })).status).toBe(500);
    expect(visibleText(await streamEvents(flash, prompt, { key: created }))).toBe("fixed");
    expect((await stream(flash, prompt, { key: created, base: sim.hopUrl("x") })).status).toBe(400);
    const requests = (await (await control("requests")).json()) as { key: string; status: number }[];
    expect(requests.map((request) => request.status)).toEqual([500, 200, 400]);
    expect(((await (await control("counts")).json()) as Record<string, number>)[created]).toBe(2);
    expect((await control("reset", {})).status).toBe(200);
    expect(sim.requests).toHaveLength(0);
    expect((await stream(flash, prompt, { key: created, base: sim.hopUrl("x") })).status).toBe(200);
  });
});

describe("@google/genai against the simulator", () => {
  const client = (): GoogleGenAI => new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: sim.url } });

  it("generates and streams", async () => {
    const ai = client();
    const response = await ai.models.generateContent({ model: flash, contents: "Hello simulator" });
    expect(response.text).toBe("Echo: Hello simulator");
    expect(response.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
    sim.chunkChars = 5;
    let text = "";
    let chunks = 0;
    for await (const chunk of await ai.models.generateContentStream({ model: flash, contents: "Hello stream" })) {
      text += chunk.text ?? "";
      chunks += 1;
    }
    expect(text).toBe("Echo: Hello stream");
    expect(chunks).toBe(4);
    expect(sim.requests.at(-1)).toMatchObject({ query: { alt: "sse" }, keyInUrl: false, action: "streamGenerateContent" });
    expect(sim.requests.at(-1)?.headers["x-goog-api-client"]).toMatch(/google-genai-sdk/);
  });

  it("counts tokens, embeds and lists models", async () => {
    const ai = client();
    const count = await ai.models.countTokens({ model: flash, contents: "count these tokens" });
    expect(count.totalTokens).toBe(5);
    const embedding = await ai.models.embedContent({ model: "gemini-embedding-001", contents: ["one", "two"], config: { outputDimensionality: 8 } });
    expect(embedding.embeddings).toHaveLength(2);
    expect(embedding.embeddings?.[0]?.values).toHaveLength(8);
    const names: string[] = [];
    for await (const model of await ai.models.list({ config: { pageSize: 4 } })) names.push(model.name ?? "");
    expect(names).toContain("models/gemini-3-pro-preview");
    expect(names).toHaveLength(8);
  });

  it("surfaces simulated errors as SDK errors", async () => {
    const ai = new GoogleGenAI({ apiKey: sim.createKey("rate-limit-minute"), httpOptions: { baseUrl: sim.url } });
    await expect(ai.models.generateContent({ model: flash, contents: "hi" })).rejects.toMatchObject({ status: 429 });
  });
});
