/**
 * Issue 16, part 3: every Gemini client survives gemrelay's heartbeat and raises when an answer
 * is given up — the legacy `@google/generative-ai` SDK, LangChain's `ChatGoogleGenerativeAI` on
 * it, `@google/genai`, the Vercel AI SDK's `@ai-sdk/google`, and raw SSE / JSON-array readers —
 * on the self-host bundle and the worker bundle under workerd, with the default resume settings
 * (a heartbeat every 10 s), in front of the simulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";
import { errorOf, generateBody, isHeartbeat, readSse } from "../resume/client.ts";
import { GeminiSimulator, visibleText } from "../sim/index.ts";
import { streamingClients } from "./gemini-sdks.ts";

const accessKey = "sk-clients-access-0123456789";
const model = "gemini-2.5-flash";
const full = "A steady answer that goes quiet for a while in the middle, then carries on to its proper end.";

/**
 * LangChain reads only the legacy SDK's chunk stream and never its aggregated `response` promise,
 * which rejects as well when the stream raises: Node reports that promise as unhandled. Collected
 * here (and checked) so that it does not fail the run; the README's client table says so.
 */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

describe.each(resumeWorkerTargets)("Gemini clients on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;

  const raw = (alt: boolean) =>
    fetch(`${target.url}/v1beta/models/${model}:streamGenerateContent${alt ? "?alt=sse" : ""}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": accessKey },
      body: JSON.stringify(generateBody("raw")),
    });

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    sim = await GeminiSimulator.start();
    // The default resume settings: heartbeats every 10 s, 20 s chunk timeout, 3 continuations.
    target = await startTarget({
      AUTH_KEY: accessKey,
      ADMIN_KEY: "admin-clients-0123456789",
      GEMINI_API_KEYS: [sim.createKey(), sim.createKey(), sim.createKey()].join(","),
      GEMINI_UPSTREAM: sim.url,
    });
  });
  beforeEach(() => {
    sim.reset();
    sim.setAnswer(() => full);
  });
  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await target?.stop();
    await sim?.close();
  });

  it("every client streams the whole answer across a 15 s silence bridged by the default heartbeat", { timeout: 60_000 }, async () => {
    // All at once: one silence for the lot.
    sim.enqueue({ kind: "pause", afterChars: 24, ms: 15_000, times: streamingClients.length + 2 });
    const [outcomes, sse, array] = await Promise.all([
      Promise.all(streamingClients.map(async ([name, client]) => ({ name, outcome: await client(target.url, accessKey, model, "silence") }))),
      raw(true).then((response) => response.text()),
      raw(false).then((response) => response.text()),
    ]);
    for (const { name, outcome } of outcomes) expect(outcome, name).toEqual({ text: full, chunks: expect.any(Number) });
    expect(sim.requests).toHaveLength(streamingClients.length + 2);
    expect(sim.requests.every((request) => request.fault?.kind === "pause")).toBe(true);

    const { events, heartbeats, incomplete } = readSse(sse);
    expect(heartbeats).toBeGreaterThanOrEqual(1);
    expect(incomplete).toBe(false);
    expect(sse).not.toMatch(/^:/m);
    expect(visibleText(events)).toBe(full);

    const elements = JSON.parse(array) as unknown[];
    expect(elements.filter(isHeartbeat).length).toBeGreaterThanOrEqual(1);
    expect(visibleText(elements)).toBe(full);
  });

  it("every client raises when the answer is given up, after the part that did arrive", { timeout: 60_000 }, async () => {
    sim.enqueue({ kind: "cut", afterChars: 30, mode: "close", times: 1_000 });
    for (const [name, client] of streamingClients) {
      const outcome = await client(target.url, accessKey, model, "given up");
      expect(outcome.error, `${name} must raise`).toBeDefined();
      // What each one raises (the README's client table quotes these).
      console.log(`${name} raised: ${outcome.error?.slice(0, 160)}`);
      expect(full.startsWith(outcome.text), name).toBe(true);
    }
    // LangChain's unread aggregate promise (see `unhandled`), and nothing else.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled.map(String)).toEqual([expect.stringContaining("[GoogleGenerativeAI Error]: Error parsing JSON response: \"ANSWER_INCOMPLETE")]);
    unhandled.length = 0;

    const sse = readSse(await (await raw(true)).text());
    expect(sse.incomplete, "SSE ends with the incomplete-answer line").toBe(true);
    expect(errorOf(sse.events.at(-1))).toMatchObject({ code: 502, status: "UNAVAILABLE", details: [{ reason: "ANSWER_INCOMPLETE" }] });
    expect(visibleText(sse.events)).toBe(full.slice(0, 30));

    const array = await (await raw(false)).text();
    expect(() => JSON.parse(array), "the JSON array is left unclosed").toThrow(SyntaxError);
    const elements = JSON.parse(`${array}]`) as unknown[];
    expect(errorOf(elements.at(-1))).toMatchObject({ code: 502, status: "UNAVAILABLE", details: [{ reason: "ANSWER_INCOMPLETE" }] });
    expect(visibleText(elements)).toBe(full.slice(0, 30));
  });
});
