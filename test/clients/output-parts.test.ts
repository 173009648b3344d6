/**
 * Issue 16, part 5: image output (gemini-2.5-flash-image, `responseModalities`), TTS audio
 * (`audio/L16;codec=pcm;rate=24000`) and code execution parts (`executableCode`,
 * `codeExecutionResult`) pass through the resume path intact, on the self-host bundle and the
 * worker bundle under workerd: inline data never held, never stitched, never continued as text;
 * an answer cut after such a part ends with the error, never with a continuation or a restart
 * that would send it twice.
 */
import { GoogleGenAI } from "@google/genai";
import { GoogleGenerativeAI } from "@google/generative-ai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";
import { errorOf, expectOneAnswer, postGenerate, readSse, type Fetcher } from "../resume/client.ts";
import { GeminiSimulator, continuingAnswer, finishReasonOf, partsOf, visibleText } from "../sim/index.ts";
import { codeIntro, sampleCode, sampleCodeResult, samplePcm, samplePng, ttsMimeType } from "../sim/media.ts";

const accessKey = "sk-parts-access-0123456789";
const imageModel = "gemini-2.5-flash-image";
const ttsModel = "gemini-2.5-flash-preview-tts";
const answer = "Here is a small picture of noise, as you asked.";

const body = (prompt: string, extra: Record<string, unknown> = {}) => ({ contents: [{ role: "user", parts: [{ text: prompt }] }], ...extra });
const imageOnly = { generationConfig: { responseModalities: ["IMAGE"] } };
const textAndImage = { generationConfig: { responseModalities: ["TEXT", "IMAGE"] } };
const speech = { generationConfig: { responseModalities: ["AUDIO"], speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: "Kore" } } } } };
const codeTool = { tools: [{ codeExecution: {} }] };

/** The non-text parts of a list of chunks, in order. */
const outputParts = (events: unknown[]) => events.flatMap(partsOf).filter((part) => typeof part.text !== "string");

describe.each(resumeWorkerTargets)("output parts on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;
  const fetcher: Fetcher = (path, init) => fetch(target.url + path, init);
  const stream = async (model: string, request: unknown) => {
    const response = await postGenerate(fetcher, accessKey, model, request);
    expect(response.status).toBe(200);
    return readSse(await response.text());
  };

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    target = await startTarget({
      AUTH_KEY: accessKey,
      ADMIN_KEY: "admin-parts-0123456789",
      GEMINI_API_KEYS: [sim.createKey(), sim.createKey()].join(","),
      GEMINI_UPSTREAM: sim.url,
      RESUME_FIRST_BYTE_TIMEOUT_MS: "1500",
      RESUME_CHUNK_TIMEOUT_MS: "400",
      RESUME_HEARTBEAT_MS: "100",
    });
  });
  beforeEach(() => {
    sim.reset();
    sim.setAnswer(continuingAnswer(answer));
  });
  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  it("streams an image (IMAGE only, and TEXT with IMAGE) byte for byte, as Gemini sent the chunks", async () => {
    const alone = await stream(imageModel, body("draw", imageOnly));
    expect(outputParts(alone.events)).toEqual([{ inlineData: { mimeType: "image/png", data: samplePng() } }]);
    expect(alone.events.map(finishReasonOf).filter(Boolean)).toEqual(["STOP"]);
    // A reply that is only an image is not an empty reply: no second attempt.
    expect(sim.requests).toHaveLength(1);

    sim.reset();
    sim.setAnswer(() => answer);
    const gate = sim.gateNextStream();
    const response = await postGenerate(fetcher, accessKey, imageModel, body("draw and say", textAndImage));
    gate.release(1_000);
    const mixed = readSse(await response.text());
    expectOneAnswer(mixed.events, answer, "text and image");
    expect(outputParts(mixed.events)).toEqual([{ inlineData: { mimeType: "image/png", data: samplePng() } }]);
    // Forwarded unchanged: the same chunks the simulator wrote.
    expect(mixed.events).toEqual(gate.written);
  });

  it("hands the image to @google/genai and to the legacy SDK, streamed and not", async () => {
    const ai = new GoogleGenAI({ apiKey: accessKey, httpOptions: { baseUrl: target.url } });
    const chunks = [];
    for await (const chunk of await ai.models.generateContentStream({ model: imageModel, contents: "draw", config: { responseModalities: ["TEXT", "IMAGE"] } })) chunks.push(chunk);
    const streamed = chunks.flatMap((chunk) => chunk.candidates?.[0]?.content?.parts ?? []).filter((part) => part.inlineData);
    expect(streamed.length === 1 && streamed[0]!.inlineData!.data === samplePng()).toBe(true);
    const whole = await ai.models.generateContent({ model: imageModel, contents: "draw", config: { responseModalities: ["IMAGE"] } });
    const parts = whole.candidates?.[0]?.content?.parts ?? [];
    expect(parts.length === 1 && parts[0]!.inlineData?.mimeType === "image/png" && parts[0]!.inlineData.data === samplePng()).toBe(true);

    const legacy = new GoogleGenerativeAI(accessKey).getGenerativeModel({ model: imageModel }, { baseUrl: target.url });
    const result = await legacy.generateContentStream({ contents: [{ role: "user", parts: [{ text: "draw" }] }], generationConfig: { responseModalities: ["TEXT", "IMAGE"] } as object });
    const images: unknown[] = [];
    for await (const chunk of result.stream) images.push(...(chunk.candidates?.[0]?.content.parts ?? []).filter((part) => part.inlineData).map((part) => part.inlineData));
    // Its aggregated `response` keeps only text, function calls and code parts (the SDK's own aggregator): the chunks carry the image.
    expect(images.length === 1 && JSON.stringify(images[0]) === JSON.stringify({ mimeType: "image/png", data: samplePng() })).toBe(true);
    expect((await result.response).text()).toBe(answer);
  });

  it("streams TTS audio piece by piece, and joins the pieces into one part for generateContent", async () => {
    const { events } = await stream(ttsModel, body("say hello", speech));
    expect(outputParts(events)).toEqual([0, 1, 2].map((index) => ({ inlineData: { mimeType: ttsMimeType, data: samplePcm(index) } })));
    expect(visibleText(events)).toBe("");
    expect(sim.requests).toHaveLength(1);

    const ai = new GoogleGenAI({ apiKey: accessKey, httpOptions: { baseUrl: target.url } });
    const whole = await ai.models.generateContent({ model: ttsModel, contents: "say hello", config: speech.generationConfig });
    const pcm = Buffer.concat([0, 1, 2].map((index) => Buffer.from(samplePcm(index), "base64"))).toString("base64");
    expect(whole.candidates?.[0]?.content?.parts).toEqual([{ inlineData: { mimeType: ttsMimeType, data: pcm } }]);
  });

  it("passes code execution parts through in order, between the text", async () => {
    const { events } = await stream("gemini-2.5-flash", body("sum 0..9", codeTool));
    expectOneAnswer(events, codeIntro + answer, "code execution");
    expect(outputParts(events)).toEqual([{ executableCode: sampleCode }, { codeExecutionResult: sampleCodeResult }]);
    const order = events.flatMap(partsOf).map((part) => Object.keys(part).find((key) => key !== "thoughtSignature"));
    expect(order.indexOf("executableCode")).toBeGreaterThan(order.indexOf("text"));
    expect(order.lastIndexOf("text")).toBeGreaterThan(order.indexOf("codeExecutionResult"));
  });

  it("continues text cut before an image, and the image after the seam arrives once, intact", async () => {
    sim.enqueue({ kind: "cut", afterChars: 17, mode: "close" });
    const { events } = await stream(imageModel, body("draw and say", textAndImage));
    expectOneAnswer(events, answer, "cut before the image");
    expect(outputParts(events)).toEqual([{ inlineData: { mimeType: "image/png", data: samplePng() } }]);
    expect(sim.requests).toHaveLength(2);
    // The continuation carried text only.
    expect(JSON.stringify(sim.requests[1]!.body)).not.toContain("inlineData");
  });

  it("ends an answer cut after an image, an audio piece or a code result with the error, never sending the part twice", async () => {
    const cases: [string, string, unknown, number, string][] = [
      ["image", imageModel, body("draw", imageOnly), 1, "inlineData"],
      ["audio", ttsModel, body("say hello", speech), 1, "inlineData"],
      ["code execution", "gemini-2.5-flash", body("sum 0..9", codeTool), 2, "executableCode, codeExecutionResult"],
    ];
    for (const [label, model, request, parts, named] of cases) {
      sim.reset();
      sim.setAnswer(continuingAnswer(answer));
      sim.enqueue({ kind: "cut", afterChars: 10_000, afterParts: parts, mode: label === "audio" ? "reset" : "close" });
      const { events, incomplete } = await stream(model, request);
      expect(outputParts(events), label).toHaveLength(parts);
      expect(events.map(finishReasonOf).filter(Boolean), label).toEqual([]);
      expect(errorOf(events.at(-1)), label).toMatchObject({ code: 502, status: "UNAVAILABLE", details: [{ reason: "ANSWER_INCOMPLETE" }] });
      expect(errorOf(events.at(-1))!.message, label).toContain(`after ${named} output had been sent`);
      expect(incomplete, label).toBe(true);
      expect(sim.requests, label).toHaveLength(1);
    }
  });
});
