/** The simulator's Live endpoint answers as Google's does: refusals as closes after setup, with Google's codes. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { GeminiSimulator } from "./index.ts";

const path = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";

describe("simulator Live endpoint", () => {
  let sim: GeminiSimulator;
  beforeAll(async () => (sim = await GeminiSimulator.start()));
  afterAll(() => sim.close());

  /** Opens a session with `query`, sends a setup for `model`, and returns the first frame or the close. */
  async function setup(query: string, model = "gemini-2.5-flash"): Promise<{ frame?: unknown; close?: { code: number; reason: string }; socket: WebSocket }> {
    const socket = new WebSocket(`${sim.url.replace("http", "ws")}${path}${query}`);
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ setup: { model: `models/${model}` } }));
    return new Promise((resolve) => {
      socket.once("message", (data: Buffer) => resolve({ frame: JSON.parse(data.toString()), socket }));
      socket.once("close", (code, reason) => resolve({ close: { code, reason: reason.toString() }, socket }));
    });
  }

  it("accepts the upgrade whatever the key and refuses after the setup, with Google's close codes", async () => {
    expect((await setup("?key=AIza" + "SimUnknownKey0000000000000000000000")).close).toEqual({ code: 1007, reason: "API key not valid. Please pass a valid API key." });
    expect((await setup("")).close?.code).toBe(1008);
    expect((await setup(`?key=${sim.createKey("rate-limit-minute")}`)).close).toMatchObject({ code: 1011, reason: expect.stringMatching(/exceeded your current quota/) });
    expect((await setup(`?key=${sim.createKey("location")}`)).close).toMatchObject({ code: 1007, reason: expect.stringMatching(/User location is not supported/) });
    expect((await setup(`?key=${sim.createKey()}`, "no-such-model")).close).toMatchObject({ code: 1008, reason: expect.stringMatching(/models\/no-such-model is not found/) });
  });

  it("answers a setup, a turn and a goAway; a refused upgrade is an HTTP answer", async () => {
    const key = sim.createKey();
    const { frame, socket } = await setup(`?key=${key}`);
    expect(frame).toEqual({ setupComplete: {} });
    const frames: unknown[] = [];
    socket.on("message", (data: Buffer) => frames.push(JSON.parse(data.toString())));
    socket.send(JSON.stringify({ clientContent: { turns: [{ role: "user", parts: [{ text: "hi" }] }], turnComplete: true } }));
    await expect.poll(() => frames.length).toBe(2);
    expect(frames[1]).toMatchObject({ serverContent: { turnComplete: true } });
    sim.liveGoAway("3s");
    await expect.poll(() => frames.at(-1)).toEqual({ goAway: { timeLeft: "3s" } });
    socket.close();

    sim.refuseLiveUpgrade(key, 429);
    const status = await new Promise<number>((resolve) => new WebSocket(`${sim.url.replace("http", "ws")}${path}?key=${key}`).once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0)));
    expect(status).toBe(429);
  });
});
