/**
 * Legacy text completions (`POST /v1/completions`): the official `openai` SDK's
 * `completions.create`, unmodified, against the built self-host and worker bundles in front of
 * the simulator — the mapped upstream request, whole and streamed answers, a resumed cut stream,
 * one that cannot be completed, and the fields a single Gemini call cannot honour.
 */
import OpenAI from "openai";
import type { Completion } from "openai/resources/completions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { continuingAnswer, GeminiSimulator, type RecordedRequest } from "../sim/index.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";

const accessKey = "sk-completions-access-0123456789";
const adminKey = "admin-completions-0123456789";

function generateRequests(sim: GeminiSimulator): RecordedRequest[] {
  return sim.requests.filter((request) => request.action === "streamGenerateContent");
}

async function collect(stream: AsyncIterable<Completion>): Promise<Completion[]> {
  const all: Completion[] = [];
  for await (const chunk of stream) all.push(chunk);
  return all;
}

const textOf = (chunks: Completion[]) => chunks.map((chunk) => chunk.choices.map((choice) => choice.text).join("")).join("");

describe.each(resumeWorkerTargets)("OpenAI legacy completions on %s", (_name, startTarget) => {
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

  it("answers completions.create as a text_completion and maps the request onto one generate call", async () => {
    const completion = await client.completions.create({ model: "gemini-2.5-flash", prompt: "hello relay", max_tokens: 200, temperature: 0.3, top_p: 0.9, stop: ["\n\n"] });
    expect(completion.object).toBe("text_completion");
    expect(completion.id).toMatch(/^cmpl-/);
    expect(completion.model).toBe("gemini-2.5-flash");
    expect(completion.choices).toEqual([{ text: "Echo: hello relay", index: 0, logprobs: null, finish_reason: "stop" }]);
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    const upstream = generateRequests(sim);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]!.body).toMatchObject({
      contents: [{ role: "user", parts: [{ text: "hello relay" }] }],
      generationConfig: { maxOutputTokens: 200, temperature: 0.3, topP: 0.9, stopSequences: ["\n\n"] },
    });
  });

  it("takes a prompt array of one string and maps agent model names through the aliases", async () => {
    const completion = await client.completions.create({ model: "gpt-5-codex", prompt: ["array prompt"] });
    expect(completion.choices[0]!.text).toBe("Echo: array prompt");
    expect(completion.model).toBe("gpt-5-codex");
    expect(generateRequests(sim)[0]!.model).toBe("gemini-2.5-pro");
  });

  it("streams text_completion chunks, one finish chunk, usage when asked, then [DONE]", async () => {
    sim.setAnswer(() => "A streamed completion in several small pieces.");
    const chunks = await collect(await client.completions.create({ model: "gemini-2.5-flash", prompt: "stream", stream: true, stream_options: { include_usage: true } }));
    expect(chunks.every((chunk) => chunk.object === "text_completion")).toBe(true);
    expect(textOf(chunks)).toBe("A streamed completion in several small pieces.");
    expect(chunks.filter((chunk) => chunk.choices[0]?.finish_reason)).toHaveLength(1);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBeGreaterThan(0);
    const raw = await fetch(`${target.url}/v1/completions`, { method: "POST", headers: { authorization: `Bearer ${accessKey}`, "content-type": "application/json" }, body: JSON.stringify({ model: "gemini-2.5-flash", prompt: "raw", stream: true }) });
    expect(raw.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect((await raw.text()).trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("resumes a cut stream seamlessly: the text exact, one finish chunk", async () => {
    const full = "The quick brown fox jumps over the lazy dog, then keeps running across the wide green field until the sun goes down.";
    sim.setAnswer(continuingAnswer(full, { repeat: 12 }));
    sim.enqueue({ kind: "cut", afterChars: 40, mode: "close" });
    const chunks = await collect(await client.completions.create({ model: "gemini-2.5-flash", prompt: "tell me", stream: true }));
    expect(textOf(chunks)).toBe(full);
    expect(chunks.filter((chunk) => chunk.choices[0]?.finish_reason)).toHaveLength(1);
    expect(generateRequests(sim).length).toBeGreaterThanOrEqual(2);
  });

  it("ends a stream that cannot be completed with an error the SDK throws, never a finish chunk", async () => {
    sim.enqueue({ kind: "cut", afterChars: 10, mode: "close", times: 50 });
    const seen: Completion[] = [];
    const iterate = async () => {
      for await (const chunk of await client.completions.create({ model: "gemini-2.5-flash", prompt: "this will keep failing", stream: true })) seen.push(chunk);
    };
    await expect(iterate()).rejects.toThrow(/truncated|could not|gave up|incomplete/i);
    expect(seen.some((chunk) => chunk.choices[0]?.finish_reason)).toBe(false);
  });

  it("refuses suffix, n > 1 and a batch of prompts with a 400 naming the field; nothing goes upstream", async () => {
    await expect(client.completions.create({ model: "gemini-2.5-flash", prompt: "def f(", suffix: "\n    return x" })).rejects.toMatchObject({ status: 400, param: "suffix" });
    await expect(client.completions.create({ model: "gemini-2.5-flash", prompt: "x", n: 2 })).rejects.toMatchObject({ status: 400, param: "n" });
    await expect(client.completions.create({ model: "gemini-2.5-flash", prompt: ["one", "two"] })).rejects.toMatchObject({ status: 400, param: "prompt" });
    await expect(client.completions.create({ model: "gemini-2.5-flash", prompt: [1, 2, 3] })).rejects.toMatchObject({ status: 400 });
    const stranger = new OpenAI({ apiKey: "sk-wrong-0123456789", baseURL: `${target.url}/v1`, maxRetries: 0 });
    await expect(stranger.completions.create({ model: "gemini-2.5-flash", prompt: "x" })).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    // Other methods on the path are still OpenAI's, answered 404 and never forwarded to Google.
    const listed = await fetch(`${target.url}/v1/completions`, { headers: { authorization: `Bearer ${accessKey}` } });
    expect(listed.status).toBe(404);
    expect(sim.requests).toHaveLength(0);
  });
});
