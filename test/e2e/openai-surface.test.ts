/**
 * Issue 5, the rest of the OpenAI surface through the built bundles and the official `openai`
 * SDK: models (and the GET /v1/models overlap with Gemini native), embeddings, errors in
 * OpenAI's shape, malformed bodies, heartbeats, and /v1beta/openai/* forwarded to Gemini's own
 * compatible endpoint with failover.
 */
import { GoogleGenAI } from "@google/genai";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { continuingAnswer, embed, findModel, GeminiSimulator } from "../sim/index.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";

const accessKey = "sk-openai-surface-0123456789";
const adminKey = "admin-openai-surface-0123456789";
const maxBodyBytes = 65_536;

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

describe.each(resumeWorkerTargets)("OpenAI surface on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;
  let keys: string[];
  let client: OpenAI;
  const extra: Target[] = [];
  const environment = () => ({ AUTH_KEY: accessKey, ADMIN_KEY: adminKey, GEMINI_UPSTREAM: sim.url });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${target.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${accessKey}`, "content-type": "application/json", ...headers }, body });

  beforeAll(async () => {
    sim = await GeminiSimulator.start({ chunkChars: 8 });
    keys = [sim.createKey(), sim.createKey()];
    target = await startTarget({
      ...environment(),
      GEMINI_API_KEYS: keys.join(","),
      OPENAI_MODEL_ALIASES: "gpt-4o=gemini-2.5-flash, text-embedding-3-small=gemini-embedding-001",
      OPENAI_MAX_BODY_BYTES: String(maxBodyBytes),
      RESUME_HEARTBEAT_MS: "50",
    });
    client = new OpenAI({ apiKey: accessKey, baseURL: `${target.url}/v1`, maxRetries: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(async () => {
    await Promise.all(extra.map((running) => running.stop()));
    await target?.stop();
    await sim?.close();
  });

  it("lists models in OpenAI's shape with the aliases, and retrieves one", async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    const ids = models.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(["gemini-2.5-flash", "gemini-3-pro-preview", "gemini-embedding-001", "gpt-4o", "text-embedding-3-small"]));
    expect(models.find((model) => model.id === "gemini-2.5-flash")).toEqual({ id: "gemini-2.5-flash", object: "model", created: 0, owned_by: "google" });
    expect(sim.requests[0]).toMatchObject({ action: "models.list", apiVersion: "v1beta" });
    expect(keys).toContain(sim.requests[0]!.key);

    expect(await client.models.retrieve("gpt-4o")).toEqual({ id: "gpt-4o", object: "model", created: 0, owned_by: "gemrelay" });
    expect(sim.requests.at(-1)).toMatchObject({ action: "models.get", model: "gemini-2.5-flash" });
    await expect(client.models.retrieve("no-such-model")).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });

  it("keeps GET /v1/models for Gemini clients: ?key= or x-goog-api-key gets Gemini's list, Bearer gets OpenAI's", async () => {
    const genai = new GoogleGenAI({ apiKey: accessKey, apiVersion: "v1", httpOptions: { baseUrl: target.url } });
    const names: string[] = [];
    for await (const model of await genai.models.list()) names.push(model.name ?? "");
    expect(names).toContain("models/gemini-2.5-flash");
    expect(sim.requests.at(-1)).toMatchObject({ action: "models.list", apiVersion: "v1" });

    const byQuery = (await (await fetch(`${target.url}/v1/models?key=${accessKey}`)).json()) as { models?: unknown[] };
    expect(Array.isArray(byQuery.models)).toBe(true);
    const byBearer = (await (await fetch(`${target.url}/v1/models`, { headers: { authorization: `Bearer ${accessKey}` } })).json()) as { object?: string };
    expect(byBearer.object).toBe("list");
    const bare = (await (await fetch(`${target.url}/models`, { headers: { authorization: `Bearer ${accessKey}` } })).json()) as { object?: string };
    expect(bare.object).toBe("list");
  });

  it("embeds one text (base64, as the SDK asks by default) and a batch with dimensions (floats, unit length)", async () => {
    const model = findModel("gemini-embedding-001")!;
    const single = await client.embeddings.create({ model: "text-embedding-3-small", input: "hello vectors" });
    expect(single.object).toBe("list");
    expect(single.model).toBe("text-embedding-3-small");
    const vector = single.data[0]!.embedding;
    expect(vector).toHaveLength(3072);
    const expected = embed(model, "hello vectors").values;
    vector.slice(0, 16).forEach((value, index) => expect(value).toBeCloseTo(expected[index]!, 6));
    expect(sim.requests.at(-1)).toMatchObject({ action: "embedContent", model: "gemini-embedding-001" });

    const batch = await client.embeddings.create({ model: "gemini-embedding-001", input: ["first", "second"], dimensions: 256, encoding_format: "float" });
    expect(batch.data.map((item) => item.index)).toEqual([0, 1]);
    for (const item of batch.data) {
      expect(item.embedding).toHaveLength(256);
      expect(Math.hypot(...item.embedding)).toBeCloseTo(1, 6);
    }
    const upstream = sim.requests.at(-1)!;
    expect(upstream.action).toBe("batchEmbedContents");
    expect(upstream.body).toMatchObject({ requests: [{ model: "models/gemini-embedding-001", outputDimensionality: 256 }, { content: { parts: [{ text: "second" }] } }] });

    const tokens = post("/v1/embeddings", JSON.stringify({ model: "gemini-embedding-001", input: [1, 2, 3] }));
    expect(((await (await tokens).json()) as ErrorBody).error.param).toBe("input");
  });

  it("serves a client's own Gemini key in pass-through (Bearer key plus x-relay-auth), never charging the pool", async () => {
    const own = sim.createKey();
    const passThrough = new OpenAI({ apiKey: own, baseURL: `${target.url}/v1`, maxRetries: 0, defaultHeaders: { "x-relay-auth": accessKey } });
    const completion = await passThrough.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "mine" }] });
    expect(completion.choices[0]!.message.content).toBe("Echo: mine");
    expect(sim.requests.map((request) => request.key)).toEqual([own]);
    const refused = new OpenAI({ apiKey: own, baseURL: `${target.url}/v1`, maxRetries: 0 });
    await expect(refused.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "mine" }] })).rejects.toMatchObject({ status: 401 });
  });

  it("answers errors in OpenAI's shape: 401 wrong key, 404 unknown model, 429 with retry-after", async () => {
    const stranger = new OpenAI({ apiKey: "sk-wrong", baseURL: `${target.url}/v1`, maxRetries: 0 });
    await expect(stranger.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({
      status: 401,
      code: "invalid_api_key",
      type: "invalid_request_error",
    });
    const unauthorized = await post("/v1/chat/completions", "{}", { authorization: "Bearer sk-wrong" });
    expect(((await unauthorized.json()) as ErrorBody).error).toEqual({ message: expect.any(String), type: "invalid_request_error", param: null, code: "invalid_api_key" });

    await expect(client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 404, code: "model_not_found" });

    for (const key of keys) sim.setKeyBehaviour(key, "rate-limit-minute", { model: "gemini-2.5-pro", retryDelay: "30s" });
    const limited = await post("/v1/chat/completions", JSON.stringify({ model: "gemini-2.5-pro", messages: [{ role: "user", content: "hi" }] }));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(29);
    const body = (await limited.json()) as ErrorBody;
    expect(body.error).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
    expect(body.error.message).toContain("Resource has been exhausted");
    await expect(client.chat.completions.create({ model: "gemini-2.5-pro", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 429 });
  });

  it("answers malformed bodies with a 400 naming the problem (413 when too large), and keeps serving", async () => {
    const cases: [string, string | null, RegExp][] = [
      ["{not json", null, /JSON/],
      [JSON.stringify([1, 2]), null, /JSON object/],
      [JSON.stringify({ messages: [{ role: "user", content: "hi" }] }), "model", /model/],
      [JSON.stringify({ model: "gemini-2.5-flash", messages: "hi" }), "messages", /expected array/],
      [JSON.stringify({ model: "gemini-2.5-flash", messages: [] }), "messages", /at least one message/],
      [JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "bot", content: "hi" }] }), "messages[0].role", /unknown role "bot"/],
      [JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "user", content: 42 }] }), "messages[0].content", /string or array/],
      [JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "user", content: [{ type: "text", text: 3 }] }] }), "messages[0].content[0].text", /expected string/],
      [JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "user", content: [{ type: "video", url: "x" }] }] }), "messages[0].content[0].type", /unsupported content part type "video"/],
      [JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], temperature: "hot" }), "temperature", /expected number/],
      [JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], n: 2 }), "n", /not supported/],
      [JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "tool", tool_call_id: "call_x", content: "1" }] }), "messages[0].tool_call_id", /does not match/],
    ];
    for (const [body, param, message] of cases) {
      const response = await post("/v1/chat/completions", body);
      expect(response.status, body.slice(0, 80)).toBe(400);
      const error = ((await response.json()) as ErrorBody).error;
      expect(error.type).toBe("invalid_request_error");
      expect(error.param, body.slice(0, 80)).toBe(param);
      expect(error.message, body.slice(0, 80)).toMatch(message);
    }
    const tooLarge = await post("/v1/chat/completions", JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "x".repeat(maxBodyBytes) }] }));
    expect(tooLarge.status).toBe(413);
    expect(((await tooLarge.json()) as ErrorBody).error).toMatchObject({ type: "invalid_request_error", param: null, code: "request_too_large", message: expect.stringMatching(/larger than/) });
    expect(sim.requests.filter((request) => request.action === "streamGenerateContent")).toHaveLength(0);

    // After the 413 (answered before the body was read) workerd may drop the kept-alive connection
    // the SDK reuses next: one retry of a connection error, as the SDK does by default.
    await expect(client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], top_p: 7 }, { maxRetries: 1 })).rejects.toMatchObject({ status: 400, param: "top_p" });
    const served = await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "still here?" }] });
    expect(served.choices[0]!.message.content).toBe("Echo: still here?");
  });

  it("keeps a waiting stream alive with SSE comments the SDK skips", async () => {
    const full = "An answer that is cut early, then continued after a slow first byte.";
    sim.setAnswer(continuingAnswer(full));
    sim.enqueue({ kind: "cut", afterChars: 10, mode: "close" });
    sim.enqueue({ kind: "first-byte-delay", ms: 400 });
    const raw = await post("/v1/chat/completions", JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "slow" }], stream: true }));
    const text = await raw.text();
    expect(text).toMatch(/^: keep-alive\n\n/m);
    const content = text
      .split(/\r?\n\r?\n/)
      .filter((event) => event.startsWith("data: {"))
      .map((event) => (JSON.parse(event.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? "")
      .join("");
    expect(content).toBe(full);

    sim.enqueue({ kind: "cut", afterChars: 10, mode: "close" });
    sim.enqueue({ kind: "first-byte-delay", ms: 400 });
    let viaSdk = "";
    for await (const chunk of await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "slow" }], stream: true })) {
      viaSdk += chunk.choices[0]?.delta.content ?? "";
    }
    expect(viaSdk).toBe(full);
  });

  it("forwards /v1beta/openai/* to Gemini's own compatible endpoint with a pool key as Bearer", async () => {
    const compat = new OpenAI({ apiKey: accessKey, baseURL: `${target.url}/v1beta/openai`, maxRetries: 0 });
    const completion = await compat.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "compat" }] });
    expect(completion.choices[0]!.message.content).toBe("Echo: compat");
    const recorded = sim.requests.at(-1)!;
    expect(recorded).toMatchObject({ path: "/v1beta/openai/chat/completions", action: "openai", model: "gemini-2.5-flash" });
    expect(keys.map((key) => `Bearer ${key}`)).toContain(recorded.headers.authorization);
    expect(recorded.headers["x-goog-api-key"]).toBeUndefined();

    let streamed = "";
    for await (const chunk of await compat.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "compat stream" }], stream: true })) {
      streamed += chunk.choices[0]?.delta.content ?? "";
    }
    expect(streamed).toBe("Echo: compat stream");
    const models = [];
    for await (const model of compat.models.list()) models.push(model.id);
    expect(models).toContain("models/gemini-2.5-flash");

    const refused = await fetch(`${target.url}/v1beta/openai/chat/completions`, { method: "POST", headers: { authorization: "Bearer sk-wrong" }, body: "{}" });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as ErrorBody).error.code).toBe("invalid_api_key");
  });

  it("fails over on /v1beta/openai/* when a key is refused", async () => {
    const invalid = sim.createKey("invalid");
    const good = sim.createKey();
    const failover = await startTarget({ ...environment(), GEMINI_API_KEYS: [invalid, good].join(",") });
    extra.push(failover);
    const compat = new OpenAI({ apiKey: accessKey, baseURL: `${failover.url}/v1beta/openai`, maxRetries: 0 });
    for (let index = 0; index < 3; index++) {
      const completion = await compat.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: `try ${index}` }] });
      expect(completion.choices[0]!.message.content).toBe(`Echo: try ${index}`);
    }
    expect(sim.requests.filter((request) => request.key === invalid).length).toBeLessThanOrEqual(1);
    expect(sim.requests.filter((request) => request.key === good && request.status === 200)).toHaveLength(3);
  });
});
