/**
 * The simulator's image, audio and code execution answers and its `pause` fault, over loopback
 * HTTP, in Gemini's wire shape (media.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GeminiSimulator, finishReasonOf, parseSseEvents, partsOf, visibleText } from "./index.ts";
import { codeIntro, samplePcm, samplePng, ttsMimeType } from "./media.ts";

let sim: GeminiSimulator;
let key: string;

const post = (model: string, body: unknown, method = "streamGenerateContent?alt=sse") =>
  fetch(`${sim.url}/v1beta/models/${model}:${method}`, { method: "POST", headers: { "content-type": "application/json", "x-goog-api-key": key }, body: JSON.stringify(body) });
const ask = (extra: Record<string, unknown> = {}) => ({ contents: [{ role: "user", parts: [{ text: "go" }] }], ...extra });

beforeAll(async () => {
  sim = await GeminiSimulator.start();
  key = sim.createKey();
});
beforeEach(() => sim.reset());
afterAll(() => sim.close());

describe("simulated output parts", () => {
  it("answers an image model with a real PNG in its own chunk, after the text (or alone with IMAGE only)", async () => {
    const events = parseSseEvents(await (await post("gemini-2.5-flash-image", ask())).text());
    const parts = events.flatMap(partsOf);
    expect(parts.at(-1)).toEqual({ inlineData: { mimeType: "image/png", data: samplePng() } });
    expect(Buffer.from(samplePng(), "base64").subarray(1, 4).toString()).toBe("PNG");
    expect(finishReasonOf(events.at(-1))).toBe("STOP");
    const alone = parseSseEvents(await (await post("gemini-2.5-flash-image", ask({ generationConfig: { responseModalities: ["IMAGE"] } }))).text());
    expect(alone.flatMap(partsOf)).toEqual([{ inlineData: { mimeType: "image/png", data: samplePng() } }]);
  });

  it("streams TTS audio as PCM pieces, one part when not streamed, and refuses a TTS request without AUDIO", async () => {
    const speech = { generationConfig: { responseModalities: ["AUDIO"] } };
    const events = parseSseEvents(await (await post("gemini-2.5-flash-preview-tts", ask(speech))).text());
    expect(events.flatMap(partsOf)).toEqual([0, 1, 2].map((index) => ({ inlineData: { mimeType: ttsMimeType, data: samplePcm(index) } })));
    const whole = (await (await post("gemini-2.5-flash-preview-tts", ask(speech), "generateContent")).json()) as unknown;
    expect(partsOf(whole)).toHaveLength(1);
    expect(Buffer.from(String((partsOf(whole)[0]!.inlineData as { data: string }).data), "base64")).toHaveLength(3 * 24_000);
    const refused = await post("gemini-2.5-flash-preview-tts", ask());
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("response modalities");
  });

  it("answers with executableCode and codeExecutionResult when the code execution tool is offered, text on a continuation", async () => {
    sim.setAnswer(() => "The sum is 45.");
    const events = parseSseEvents(await (await post("gemini-2.5-flash", ask({ tools: [{ codeExecution: {} }] }))).text());
    expect(events.flatMap(partsOf).filter((part) => part.text === undefined).map((part) => Object.keys(part)[0])).toEqual(["executableCode", "codeExecutionResult"]);
    expect(visibleText(events)).toBe(`${codeIntro}The sum is 45.`);
    const continued = { contents: [...ask().contents, { role: "model", parts: [{ text: "The" }] }], tools: [{ codeExecution: {} }] };
    expect(parseSseEvents(await (await post("gemini-2.5-flash", continued)).text()).flatMap(partsOf).every((part) => typeof part.text === "string")).toBe(true);
  });

  it("cuts after the n-th part with afterParts, and pauses mid-answer with the pause fault", async () => {
    sim.enqueue({ kind: "cut", afterChars: 10_000, afterParts: 1, mode: "close" });
    const cut = parseSseEvents(await (await post("gemini-2.5-flash-preview-tts", ask({ generationConfig: { responseModalities: ["AUDIO"] } }))).text());
    expect(cut.flatMap(partsOf)).toHaveLength(1);
    expect(cut.map(finishReasonOf).filter(Boolean)).toEqual([]);

    sim.setAnswer(() => "A paused answer that is long enough for a few chunks of text.");
    sim.enqueue({ kind: "pause", afterChars: 24, ms: 300 });
    const response = await post("gemini-2.5-flash", ask());
    // The silence itself is what test/clients/heartbeat-and-give-up.test.ts bridges; here: the whole answer after it.
    expect(visibleText(parseSseEvents(await response.text()))).toBe("A paused answer that is long enough for a few chunks of text.");
    expect(sim.requests[1]!.fault).toMatchObject({ kind: "pause" });
  });
});
