/**
 * Issue "resume": truncated answers continued inside the same client stream, through the built
 * chain — the self-host bundle and the worker bundle under workerd — in front of the simulator,
 * driven by @google/genai (streaming and not) and raw SSE. Seeded: a failing case names its seed
 * (test/resume/cases.ts rebuilds it).
 */
import { join } from "node:path";
import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GeminiSimulator, continuingAnswer, finishReasonOf, partsOf } from "../sim/index.ts";
import { startWorker } from "../helpers/chain.ts";
import { startSelfHost, temporaryDirectory } from "../helpers/process.ts";
import { armCase, cutCase, describeCase, type CutCase } from "../resume/cases.ts";
import { errorOf, expectCleanContinuations, expectForwardedAsSent, expectOneAnswer, generateBody, postGenerate, readSse, sseDataReader, type Fetcher } from "../resume/client.ts";

const accessKey = "sk-resume-chain-0123456789";
const adminKey = "admin-resume-chain-0123456789";
const model = "gemini-2.5-flash";
const thoughtMarker = "Considering the request";

interface Target {
  url: string;
  stop(): Promise<unknown>;
}

const targets: [string, (env: Record<string, string>) => Promise<Target>][] = [
  [
    "self-host",
    (env) => {
      const dataDir = temporaryDirectory();
      return startSelfHost({ DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), ...env });
    },
  ],
  ["worker under workerd", (env) => startWorker(env)],
];

type Client = "raw SSE" | "@google/genai stream" | "@google/genai generateContent";
const clients: Client[] = ["raw SSE", "@google/genai stream", "@google/genai generateContent"];

describe.each(targets)("resume on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;
  const fetcher: Fetcher = (path, init) => fetch(target.url + path, init);
  const sdk = () => new GoogleGenAI({ apiKey: accessKey, httpOptions: { baseUrl: target.url } });

  /** Runs one scenario with one client; returns the chunks the client saw. */
  async function ask(client: Client, scenario: CutCase): Promise<unknown[]> {
    const prompt = `seed ${scenario.seed}`;
    const config = scenario.thoughts ? { thinkingConfig: { includeThoughts: true } } : {};
    if (client === "raw SSE") {
      const response = await postGenerate(fetcher, accessKey, model, generateBody(prompt, { thoughts: scenario.thoughts }));
      expect(response.headers.get("content-type")).toContain("text/event-stream");
      return readSse(await response.text()).events;
    }
    if (client === "@google/genai stream") {
      const chunks: unknown[] = [];
      for await (const chunk of await sdk().models.generateContentStream({ model, contents: prompt, config })) chunks.push(chunk);
      return chunks;
    }
    return [await sdk().models.generateContent({ model, contents: prompt, config })];
  }

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    target = await startTarget({
      AUTH_KEY: accessKey,
      ADMIN_KEY: adminKey,
      GEMINI_API_KEYS: [sim.createKey(), sim.createKey(), sim.createKey()].join(","),
      GEMINI_UPSTREAM: sim.url,
      RESUME_FIRST_BYTE_TIMEOUT_MS: "1500",
      RESUME_CHUNK_TIMEOUT_MS: "400",
      RESUME_HEARTBEAT_MS: "100",
    });
  });
  beforeEach(() => sim.reset());
  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  it("gives the uninterrupted answer, one finishReason, for 36 seeded cuts (close, reset, stall; thoughts or not; repeats 0–200) to every client", async () => {
    for (let index = 0; index < 36; index++) {
      const scenario = cutCase(1_000 + index);
      const client = clients[index % clients.length]!;
      sim.reset();
      armCase(sim, scenario);
      const label = `${client}, ${describeCase(scenario)}`;
      expectOneAnswer(await ask(client, scenario), scenario.full, label);
      expect(sim.requests, label).toHaveLength(2);
      // Each continuation went through routing on its own: a key of the pool, maybe another one.
      expect(sim.requests.every((request) => request.key !== accessKey), label).toBe(true);
      expectCleanContinuations(sim.requests, thoughtMarker, label);
    }
  });

  it("never continues or repeats a tool call, and delivers the Gemini 3 terminal signature part after a resume", async () => {
    sim.enqueue({ kind: "function-call", name: "get_weather", args: { city: "Paris" }, text: "Let me look that up. " });
    const stream: unknown[] = [];
    for await (const chunk of await sdk().models.generateContentStream({ model, contents: "weather?" })) stream.push(chunk);
    const calls = stream.flatMap(partsOf).filter((part) => part.functionCall !== undefined);
    expect(calls).toEqual([{ functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: expect.any(String) }]);
    expect(stream.map(finishReasonOf).filter(Boolean)).toEqual(["STOP"]);
    expect(sim.requests).toHaveLength(1);

    sim.reset();
    const scenario = { ...cutCase(2_000, ["reset"]), thoughts: false };
    armCase(sim, scenario);
    const response = await postGenerate(fetcher, accessKey, "gemini-3-pro-preview", generateBody("gemini 3"));
    const { events } = readSse(await response.text());
    expectOneAnswer(events, scenario.full, describeCase(scenario));
    expect(partsOf(events.at(-1)).at(-1)).toEqual({ text: "", thoughtSignature: expect.any(String) });
    expect(sim.requests).toHaveLength(2);
  });

  it("forwards a fault-free stream event for event with the simulator's bytes, each event before the simulator sends the next", async () => {
    sim.setAnswer(() => "A fault-free answer that is streamed in many small chunks, every one forwarded as it comes in.");
    const gate = sim.gateNextStream();
    await expectForwardedAsSent(await postGenerate(fetcher, accessKey, model, generateBody("verbatim", { thoughts: true })), gate);
  });

  it("stops when the client goes away: no continuation for nobody", async () => {
    sim.setAnswer(continuingAnswer("An answer whose client leaves while the stream is stalled."));
    sim.enqueue({ kind: "cut", afterChars: 10, mode: "stall" });
    const controller = new AbortController();
    const response = await fetch(`${target.url}/v1beta/models/${model}:streamGenerateContent?alt=sse`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": accessKey },
      body: JSON.stringify(generateBody("leaving")),
      signal: controller.signal,
    });
    expect(await sseDataReader(response)()).not.toBeNull();
    controller.abort();
    // Past the chunk timeout (400 ms): a session that missed the disconnect would continue now.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(sim.requests).toHaveLength(1);
  });

  it("retries empty replies and reports them as an error when they keep coming back empty", async () => {
    sim.setAnswer(() => "Not empty this time.");
    sim.enqueue({ kind: "empty-stop" });
    expect((await sdk().models.generateContent({ model, contents: "empty once" })).text).toBe("Not empty this time.");
    expect(sim.requests).toHaveLength(2);

    sim.reset();
    sim.enqueue({ kind: "empty-stop", times: 8 });
    const { events } = readSse(await (await postGenerate(fetcher, accessKey, model, generateBody("always empty"))).text());
    expect(events).toHaveLength(1);
    expect(errorOf(events[0])).toMatchObject({ code: 502, details: [{ reason: "EMPTY_ANSWER" }] });
    expect(sim.requests).toHaveLength(4);

    sim.reset();
    sim.enqueue({ kind: "empty-stop", times: 8 });
    await expect(sdk().models.generateContent({ model, contents: "always empty" })).rejects.toMatchObject({ status: 502 });
  });
});
