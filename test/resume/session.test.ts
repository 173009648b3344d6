/**
 * The resume engine in process (app + memory store + in-process egress + simulator): many seeded
 * cut scenarios and every verdict path, fast. test/e2e/resume.test.ts runs the Done-when
 * scenarios through the built bundles.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GeminiSimulator, continuingAnswer, finishReasonOf, partsOf, visibleText } from "../sim/index.ts";
import { armCase, cutCase, describeCase } from "./cases.ts";
import { errorOf, expectCleanContinuations, expectForwardedAsSent, expectOneAnswer, generateBody, postGenerate, readSse, sseDataReader } from "./client.ts";
import { accessKey, inProcessApp, type InProcessApp } from "./harness.ts";

const model = "gemini-2.5-flash";
/** Short stall timeouts so that stall cases take a fraction of a second. */
const fastTimeouts = { RESUME_FIRST_BYTE_TIMEOUT_MS: "400", RESUME_CHUNK_TIMEOUT_MS: "200", RESUME_HEARTBEAT_MS: "60" };

describe("resume engine (in process)", () => {
  let sim: GeminiSimulator;
  let app: InProcessApp;
  const start = async (env: Record<string, string> = {}) => {
    app = await inProcessApp(sim, [sim.createKey(), sim.createKey()], { ...fastTimeouts, ...env });
    return app;
  };
  const stream = async (body: unknown, headers: Record<string, string> = {}, name = model) => {
    const response = await postGenerate(app.fetch, accessKey, name, body, { headers });
    expect(response.status).toBe(200);
    return readSse(await response.text());
  };

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
  });
  beforeEach(async () => {
    sim.reset();
    await start();
  });
  afterAll(async () => {
    await sim.close();
  });

  it("restores 60 seeded cut answers (close, reset, stall; with and without thoughts; repeats 0–200)", async () => {
    for (let seed = 1; seed <= 60; seed++) {
      sim.reset();
      const scenario = cutCase(seed);
      armCase(sim, scenario);
      const { events } = await stream(generateBody(`case ${seed}`, { thoughts: scenario.thoughts }));
      const label = describeCase(scenario);
      expectOneAnswer(events, scenario.full, label);
      expect(sim.requests, label).toHaveLength(2);
      expectCleanContinuations(sim.requests, "Considering the request", label);
      if (scenario.cut > 0) expect((sim.requests[1]!.body as { contents: unknown[] }).contents, label).toHaveLength(2);
    }
  });

  it("continues with a user turn, dropping the preamble the model puts first", async () => {
    await start({ RESUME_MODE: "user-turn" });
    for (let seed = 100; seed < 110; seed++) {
      sim.reset();
      const scenario = cutCase(seed, ["close"]);
      sim.setAnswer(continuingAnswer(scenario.full, { repeat: scenario.repeat, preamble: "Continuing from where I left off:\n\n" }));
      sim.enqueue({ kind: "cut", afterChars: Math.max(1, scenario.cut), mode: "close" });
      const { events } = await stream(generateBody(`user turn ${seed}`));
      expectOneAnswer(events, scenario.full, describeCase(scenario));
      const contents = (sim.requests[1]!.body as { contents: { role: string; parts: { text: string }[] }[] }).contents;
      expect(contents.at(-1)).toEqual({ role: "user", parts: [{ text: "Continue exactly where you left off without any preamble or repetition." }] });
    }
  });

  it("forwards a fault-free stream event for event, the simulator's own bytes, each before the next is sent", async () => {
    sim.setAnswer(() => "A fault-free answer, streamed in many small chunks, each forwarded as it comes.");
    const gate = sim.gateNextStream();
    await expectForwardedAsSent(await postGenerate(app.fetch, accessKey, model, generateBody("verbatim", { thoughts: true })), gate);
  });

  it("resumes for clients of the streamed JSON array (no alt=sse) too", async () => {
    const full = "An answer streamed to a client that reads the JSON array form, cut and continued.";
    sim.setAnswer(continuingAnswer(full, { repeat: 25 }));
    sim.enqueue({ kind: "cut", afterChars: 33, mode: "reset" });
    const response = await app.fetch(`/v1beta/models/${model}:streamGenerateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": accessKey },
      body: JSON.stringify(generateBody("array")),
    });
    expectOneAnswer((await response.json()) as unknown[], full, "JSON array");
  });

  it("sends heartbeats while it waits for a stalled stream and its continuation", async () => {
    const full = "An answer that stalls halfway and is then continued by another attempt.";
    sim.setAnswer(continuingAnswer(full));
    sim.enqueue({ kind: "cut", afterChars: 30, mode: "stall" });
    const { events, heartbeats } = await stream(generateBody("stall"));
    expectOneAnswer(events, full, "stall");
    expect(heartbeats).toBeGreaterThanOrEqual(2);
    expect(app.logs.find((entry) => entry.event === "resume")).toMatchObject({ verdict: "stall", attempt: 2, characters: 30 });
  });

  it("does not take a client that reads slowly for a stalled Gemini", async () => {
    const full = "A long answer read by a slow client: it pauses for longer than the chunk timeout between reads. ".repeat(12);
    sim.setAnswer(() => full);
    const response = await postGenerate(app.fetch, accessKey, model, generateBody("slow reader"));
    const next = sseDataReader(response);
    const first = await next();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const rest: string[] = [];
    for (let data = await next(); data !== null; data = await next()) rest.push(data);
    expect(visibleText([first, ...rest].map((data) => JSON.parse(data!) as unknown))).toBe(full);
    expect(sim.requests).toHaveLength(1);
  });

  it("restarts an attempt that sends nothing before the first-byte timeout", async () => {
    sim.setAnswer(() => "Answer after a slow start.");
    sim.enqueue({ kind: "first-byte-delay", ms: 2_000 });
    const { events } = await stream(generateBody("slow"));
    expectOneAnswer(events, "Answer after a slow start.", "first byte");
    expect(sim.requests).toHaveLength(2);
  });

  it("retries empty replies and reports them as an error when they keep coming", async () => {
    sim.setAnswer(() => "Finally an answer.");
    sim.enqueue({ kind: "empty-stop" });
    const recovered = await stream(generateBody("empty once"));
    expectOneAnswer(recovered.events, "Finally an answer.", "empty once");
    expect(app.logs.find((entry) => entry.event === "resume")).toMatchObject({ verdict: "empty", action: "restart" });

    sim.reset();
    sim.enqueue({ kind: "empty-stop", times: 4 });
    const { events } = await stream(generateBody("always empty"));
    expect(events).toHaveLength(1);
    expect(errorOf(events[0])).toMatchObject({ code: 502, status: "UNAVAILABLE", details: [{ reason: "EMPTY_ANSWER" }] });
    expect(sim.requests).toHaveLength(4);

    sim.reset();
    sim.enqueue({ kind: "empty-stop", shape: "empty-text", times: 4 });
    const whole = await postGenerate(app.fetch, accessKey, model, generateBody("always empty"), { stream: false });
    expect(whole.status).toBe(502);
    expect(((await whole.json()) as { error: { message: string } }).error.message).toContain("empty reply 4 times");
  });

  it("does not take empty continuations after a mid-word cut for the end of the answer", async () => {
    const full = "An answer cut in the middle of a word and then finished properly.";
    sim.setAnswer(continuingAnswer(full));
    sim.enqueue({ kind: "cut", afterChars: 27, mode: "close" });
    sim.enqueue({ kind: "empty-stop", times: 2 });
    const { events } = await stream(generateBody("empty after cut"));
    expectOneAnswer(events, full, "two empty continuations, then the rest");
    expect(sim.requests).toHaveLength(4);

    sim.reset();
    sim.setAnswer(continuingAnswer(full));
    sim.enqueue({ kind: "cut", afterChars: 27, mode: "close" });
    sim.enqueue({ kind: "empty-stop", times: 10 });
    const exhausted = await stream(generateBody("always empty after cut"));
    expect(errorOf(exhausted.events.at(-1))).toMatchObject({ code: 502 });
    expect(visibleText(exhausted.events)).toBe(full.slice(0, 27));
  });

  it("believes a second empty continuation when the text could have ended", async () => {
    const full = "A complete sentence.";
    sim.setAnswer(continuingAnswer(full));
    sim.enqueue({ kind: "no-finish" });
    sim.enqueue({ kind: "empty-stop", times: 2 });
    const { events } = await stream(generateBody("ended without finish"));
    expectOneAnswer(events, full, "whole text, finish missing, then empty continuations");
    expect(sim.requests).toHaveLength(3);
  });

  it("retries a reply that finished while still thinking", async () => {
    sim.setAnswer(() => "Visible at last.");
    sim.enqueue({ kind: "finish", reason: "STOP", afterChars: 0 });
    const { events } = await stream(generateBody("thinking only", { thoughts: true }));
    expectOneAnswer(events, "Visible at last.", "inside thoughts");
    expect(app.logs.find((entry) => entry.event === "resume")).toMatchObject({ verdict: "inside-thoughts" });
  });

  it("ends with a clear error event, after the text, when the budget runs out", async () => {
    await start({ RESUME_MAX_CONTINUATIONS: "2" });
    const full = "This answer is cut again and again, and never allowed to finish properly.";
    sim.setAnswer(continuingAnswer(full));
    for (const afterChars of [10, 10, 10]) sim.enqueue({ kind: "cut", afterChars, mode: "close" });
    const { events } = await stream(generateBody("budget"));
    expect(visibleText(events)).toBe(full.slice(0, 30));
    expect(events.map(finishReasonOf).filter(Boolean)).toEqual([]);
    expect(errorOf(events.at(-1))).toMatchObject({ code: 502, details: [{ reason: "ANSWER_INCOMPLETE" }] });
    expect(errorOf(events.at(-1))!.message).toContain("30 characters were delivered");
    expect(sim.requests).toHaveLength(3);
  });

  it("turns resume off per request with x-gemrelay-resume: off", async () => {
    sim.setAnswer(continuingAnswer("Cut and not continued because the client said so."));
    sim.enqueue({ kind: "cut", afterChars: 12, mode: "close" });
    const { events } = await stream(generateBody("no resume"), { "x-gemrelay-resume": "off" });
    expect(errorOf(events.at(-1))).toMatchObject({ details: [{ reason: "ANSWER_INCOMPLETE" }] });
    expect(sim.requests).toHaveLength(1);
    const refused = await postGenerate(app.fetch, accessKey, model, generateBody("bad header"), { headers: { "x-gemrelay-resume-mode": "sideways" } });
    expect(refused.status).toBe(400);
  });

  it("never continues a tool call, and sends it once", async () => {
    sim.enqueue({ kind: "function-call", name: "lookup", args: { city: "Paris" }, text: "Let me check. " });
    const { events } = await stream(generateBody("tool"));
    const calls = events.flatMap(partsOf).filter((part) => part.functionCall !== undefined);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.thoughtSignature).toEqual(expect.any(String));
    expect(events.map(finishReasonOf).filter(Boolean)).toEqual(["STOP"]);
    expect(sim.requests).toHaveLength(1);
  });

  it("restarts a MALFORMED_FUNCTION_CALL before any text, and continues an OTHER finish", async () => {
    sim.setAnswer(continuingAnswer("A proper answer after a malformed call."));
    sim.enqueue({ kind: "finish", reason: "MALFORMED_FUNCTION_CALL" });
    expectOneAnswer((await stream(generateBody("malformed"))).events, "A proper answer after a malformed call.", "malformed");
    expect(sim.requests[1]!.body).toEqual(sim.requests[0]!.body);

    sim.reset();
    const full = "An answer that Gemini stopped with OTHER in the middle of a sentence.";
    sim.setAnswer(continuingAnswer(full, { repeat: 15 }));
    sim.enqueue({ kind: "finish", reason: "OTHER", afterChars: 25 });
    expectOneAnswer((await stream(generateBody("other"))).events, full, "OTHER");
  });

  it("forwards terminal finishes and prompt blocks as Gemini sent them", async () => {
    sim.setAnswer(() => "Some text before a safety stop.");
    sim.enqueue({ kind: "finish", reason: "SAFETY", afterChars: 10 });
    const safety = await stream(generateBody("safety"));
    expect(safety.events.map(finishReasonOf).filter(Boolean)).toEqual(["SAFETY"]);
    expect(sim.requests).toHaveLength(1);

    sim.reset();
    sim.enqueue({ kind: "block", reason: "PROHIBITED_CONTENT" });
    const blocked = await stream(generateBody("blocked"));
    expect(blocked.events).toEqual([expect.objectContaining({ promptFeedback: { blockReason: "PROHIBITED_CONTENT" } })]);
    expect(sim.requests).toHaveLength(1);
  });

  it("ends with Gemini's block reason as the finish when a continuation's prompt is blocked", async () => {
    sim.setAnswer(continuingAnswer("Text that reached the client before the continuation was blocked."));
    sim.enqueue({ kind: "cut", afterChars: 20, mode: "close" });
    sim.enqueue({ kind: "block", reason: "PROHIBITED_CONTENT" });
    const { events } = await stream(generateBody("blocked later"));
    expect(visibleText(events)).toBe("Text that reached th");
    expect(events.map(finishReasonOf).filter(Boolean)).toEqual(["PROHIBITED_CONTENT"]);
    expect(app.logs.find((entry) => entry.event === "resume.blocked")).toMatchObject({ attempt: 2, reason: "PROHIBITED_CONTENT" });
  });

  it("reports a continuation Gemini refuses (4xx) in-band, without retrying it", async () => {
    sim.setAnswer(continuingAnswer("Text before a continuation that Gemini refuses outright."));
    sim.enqueue({ kind: "cut", afterChars: 15, mode: "reset" });
    sim.enqueue({ kind: "http-error", status: 400 });
    const { events } = await stream(generateBody("refused"));
    expect(visibleText(events)).toBe("Text before a c");
    expect(errorOf(events.at(-1))).toMatchObject({ code: 502 });
    expect(errorOf(events.at(-1))!.message).toContain("Gemini refused to continue the answer (INVALID_ARGUMENT)");
    expect(sim.requests).toHaveLength(2);
  });

  it("continues after an error object inside the 200 stream", async () => {
    const full = "Gemini said it was overloaded halfway through this answer, then recovered.";
    sim.setAnswer(continuingAnswer(full, { repeat: 20 }));
    sim.enqueue({ kind: "error-in-stream", afterChars: 40 });
    expectOneAnswer((await stream(generateBody("overload"))).events, full, "error in stream");
    expect(app.logs.find((entry) => entry.event === "resume")).toMatchObject({ verdict: "upstream-error" });
  });

  it("delivers the Gemini 3 terminal signature part of the last attempt", async () => {
    const full = "A Gemini 3 answer that is cut and then finished with its signature part.";
    sim.setAnswer(continuingAnswer(full, { repeat: 12 }));
    sim.enqueue({ kind: "cut", afterChars: 20, mode: "reset" });
    const { events } = await stream(generateBody("gemini 3"), {}, "gemini-3-pro-preview");
    expectOneAnswer(events, full, "gemini 3");
    const last = partsOf(events.at(-1));
    expect(last.at(-1)).toEqual({ text: "", thoughtSignature: expect.any(String) });
  });

  it("reports summed usage and the number of continuations to non-streaming clients", async () => {
    const full = "A non-streaming answer, assembled from two attempts without any seam visible.";
    sim.setAnswer(continuingAnswer(full, { repeat: 30 }));
    sim.enqueue({ kind: "cut", afterChars: 35, mode: "reset" });
    const response = await postGenerate(app.fetch, accessKey, model, generateBody("whole"), { stream: false });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-gemrelay-continuations")).toBe("1");
    const answer = (await response.json()) as { candidates: unknown[]; usageMetadata: { promptTokenCount: number } };
    expect(visibleText(answer)).toBe(full);
    expect(finishReasonOf(answer)).toBe("STOP");
    // Both attempts' prompts are billed: the continuation's carries the partial answer too.
    expect(answer.usageMetadata.promptTokenCount).toBeGreaterThan(2 * sim.requests.length);
    expect(app.logs.filter((entry) => entry.event === "resume")).toHaveLength(1);
  });

  it("sentinel mode: strips the marker, continues an answer without it, accepts its absence after the second attempt", async () => {
    await start({ RESUME_SENTINEL: "on" });
    const marked = (text: string) => continuingAnswer((request) => (JSON.stringify(request.body).includes("[done]") ? `${text}\n\n[done]` : text));
    sim.setAnswer(marked("With the marker at the end."));
    const { events } = await stream(generateBody("sentinel"));
    expectOneAnswer(events, "With the marker at the end.", "sentinel");
    expect(JSON.stringify(events)).not.toContain("[done]");
    expect(JSON.stringify(sim.requests[0]!.body)).toContain("[done]");

    sim.reset();
    sim.setAnswer(continuingAnswer("An answer that never writes the marker."));
    const missing = await stream(generateBody("no marker"));
    expect(visibleText(missing.events)).toBe("An answer that never writes the marker.");
    expect(sim.requests).toHaveLength(2);

    sim.reset();
    sim.setAnswer(() => "Tools never get the marker.");
    await stream({ ...generateBody("tools"), tools: [{ functionDeclarations: [{ name: "lookup", description: "Looks up." }] }] });
    expect(JSON.stringify(sim.requests[0]!.body)).not.toContain("[done]");
  });

  it("stops at once when the client goes away", async () => {
    sim.setAnswer(continuingAnswer("An answer the client will not wait for."));
    sim.enqueue({ kind: "cut", afterChars: 10, mode: "stall" });
    const response = await postGenerate(app.fetch, accessKey, model, generateBody("leave"));
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sim.requests).toHaveLength(1);
    expect(app.logs.filter((entry) => entry.event === "resume")).toHaveLength(0);
  });

  it("logs how a resumed answer ended", async () => {
    sim.setAnswer(continuingAnswer("Counted answer with one continuation in it."));
    sim.enqueue({ kind: "cut", afterChars: 5, mode: "close" });
    await stream(generateBody("count"));
    const end = app.logs.find((entry) => entry.event === "resume.end");
    expect(end).toMatchObject({ continuations: 1, outcome: "complete", recoveredCharacters: "Counted answer with one continuation in it.".length - 5 });
  });
});
