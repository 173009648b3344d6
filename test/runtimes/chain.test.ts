/**
 * The whole chain under the platforms' own local runtimes: the worker bundle under `wrangler dev`
 * (workerd, Durable Object SQLite, secrets in .dev.vars) → the Netlify relay under
 * `netlify functions:serve --offline` and the Vercel relay under `@vercel/node`'s dev server →
 * the simulator. Each runtime starts once for the file.
 */
import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startNetlifyFunctionsServe, startVercelDevServer, startWranglerDev, type RunningRuntime } from "../helpers/runtimes.ts";
import { expectEventsAsReleased } from "../helpers/streaming.ts";
import { continuingAnswer, finishReasonOf, GeminiSimulator, parseSseEvents, visibleText } from "../sim/index.ts";

const accessKey = "sk-runtimes-access-0123456789abcdef";
const adminKey = "admin-runtimes-0123456789abcdef";
const relayToken = "relay-token-runtimes-chain-0123456789abcdef";
const model = "gemini-2.5-flash";
const answer = "A streamed answer that crosses workerd, a platform relay runtime and the simulator, chunk by chunk, as it comes.";

describe("chain: wrangler dev → netlify functions:serve / @vercel/node dev server → simulator", () => {
  let sim: GeminiSimulator;
  let netlify: RunningRuntime;
  let vercel: RunningRuntime;
  let worker: RunningRuntime;
  let keys: string[];

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    keys = [sim.createKey(), sim.createKey()];
    [netlify, vercel] = await Promise.all([
      startNetlifyFunctionsServe({ RELAY_TOKEN: relayToken, GEMINI_UPSTREAM: sim.hopUrl("netlify") }),
      startVercelDevServer({ RELAY_TOKEN: relayToken, GEMINI_UPSTREAM: sim.hopUrl("vercel") }),
    ]);
    worker = await startWranglerDev({
      GEMINI_API_KEYS: keys.join(","),
      AUTH_KEY: accessKey,
      ADMIN_KEY: adminKey,
      RELAY_TOKEN: relayToken,
      // The stream limits `gemrelay deploy` and `gemrelay dev` put there: Netlify 60 s, Vercel maxDuration.
      RELAY_URLS: `${netlify.url}#maxStreamSeconds=60,${vercel.url}#maxStreamSeconds=300`,
      // Two keys over two relays: with affinity both may call one relay home; these tests spread.
      EGRESS_AFFINITY: "off",
    });
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await Promise.all([netlify?.stop(), vercel?.stop()]);
    await sim?.close();
  });

  beforeEach(() => {
    sim.reset();
    sim.setAnswer(() => answer);
  });

  const generate = (query: string, headers: Record<string, string> = {}) =>
    fetch(`${worker.url}/v1beta/models/${model}:streamGenerateContent${query}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": accessKey, ...headers },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "chain" }] }] }),
    });

  it("the worker is configured and sees both relays", async () => {
    const response = await fetch(`${worker.url}/health`);
    expect(await response.json()).toMatchObject({ ok: true, configured: true, egresses: 2 });
  });

  it("answers through both relays with pool keys, the key never in a URL", async () => {
    const sdk = new GoogleGenAI({ apiKey: accessKey, httpOptions: { baseUrl: worker.url } });
    for (let index = 0; index < 4; index++) expect((await sdk.models.generateContent({ model, contents: `hello ${index}` })).text).toBe(answer);
    expect(new Set(sim.requests.map((request) => request.hop))).toEqual(new Set(["netlify", "vercel"]));
    expect(sim.requests.every((request) => keys.includes(request.key ?? "") && !request.keyInUrl)).toBe(true);
  });

  it("sends answers expected to think long only to the relay whose platform cuts streams latest", async () => {
    const ask = (model: string, generationConfig?: Record<string, unknown>) =>
      fetch(`${worker.url}/v1beta/models/${model}:generateContent`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-goog-api-key": accessKey },
        body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "think" }] }], ...(generationConfig ? { generationConfig } : {}) }),
      }).then((response) => response.text());
    for (let index = 0; index < 3; index++) await ask("gemini-2.5-pro");
    for (let index = 0; index < 3; index++) await ask("gemini-2.5-flash", { thinkingConfig: { thinkingBudget: 24_576 } });
    expect(sim.requests.map((request) => request.hop)).toEqual(Array(6).fill("vercel"));
    sim.reset();
    for (let index = 0; index < 4; index++) await ask("gemini-2.5-flash", { thinkingConfig: { thinkingBudget: 0 } });
    expect(new Set(sim.requests.map((request) => request.hop))).toEqual(new Set(["netlify", "vercel"]));
  });

  // The JSON array with gzip is what workerd held until the end before the answer said
  // content-encoding: identity (workers-sdk #7435): one chunk after the last event.
  for (const [framing, query] of [["sse", "?alt=sse"], ["json-array", ""]] as const) {
    for (const encoding of ["gzip, deflate", "identity"]) {
      it(`streams ${framing} to the client event by event (Accept-Encoding: ${encoding})`, async () => {
        const gate = sim.gateNextStream();
        const response = generate(query, { "accept-encoding": encoding });
        const { text, events } = await expectEventsAsReleased(response, gate, framing);
        expect(events).toBeGreaterThan(3);
        const chunks = framing === "sse" ? parseSseEvents(text) : (JSON.parse(text) as unknown[]);
        expect(visibleText(chunks)).toBe(answer);
        expect(chunks.map(finishReasonOf).filter(Boolean)).toEqual(["STOP"]);
      });
    }
  }

  it("resumes a stream cut mid-answer: the client sees the whole answer once", async () => {
    sim.setAnswer(continuingAnswer(answer));
    sim.enqueue({ kind: "cut", afterChars: 40, mode: "close" });
    const response = await generate("?alt=sse");
    expect(response.status).toBe(200);
    const events = parseSseEvents(await response.text());
    expect(visibleText(events)).toBe(answer);
    expect(events.map(finishReasonOf).filter(Boolean)).toEqual(["STOP"]);
    expect(sim.requests).toHaveLength(2);
  });

  it("a relay that cuts streams (as Netlify does at 60 s) is continued, not blamed: its circuit stays closed", async () => {
    sim.setAnswer(continuingAnswer(answer));
    // More cuts than the circuit's failure threshold (3): one per request, each continued.
    for (let index = 0; index < 4; index++) {
      sim.enqueue({ kind: "cut", afterChars: 30, mode: "close" });
      const events = parseSseEvents(await (await generate("?alt=sse")).text());
      expect(visibleText(events)).toBe(answer);
    }
    const status = (await (await fetch(`${worker.url}/status`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as { relays: { circuit: string }[] };
    expect(status.relays.map((relay) => relay.circuit)).toEqual(["closed", "closed"]);
  });
});
