/** The simulator's event gate and the continuing answer's preamble option. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GeminiSimulator, continuingAnswer, parseSseEvents, visibleText, type RecordedRequest } from "./index.ts";

describe("simulator event gate", () => {
  let sim: GeminiSimulator;
  let key: string;
  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    key = sim.createKey();
  });
  afterAll(() => sim.close());

  const post = (body: unknown) =>
    fetch(`${sim.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": key },
      body: JSON.stringify(body),
    });

  it("writes nothing until released, then one event per permit, and records what it wrote", async () => {
    sim.reset();
    sim.setAnswer(() => "Held back until the test lets each event go, one by one.");
    const gate = sim.gateNextStream();
    const response = await post({ contents: [{ role: "user", parts: [{ text: "hi" }] }] });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(gate.written).toHaveLength(0);
    gate.release();
    let text = "";
    while (!text.includes("\r\n\r\n")) text += (await reader.read()).value ?? "";
    expect(gate.written).toHaveLength(1);
    gate.release(100);
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      text += next.value;
    }
    const events = parseSseEvents(text);
    expect(events).toEqual(gate.written);
    expect(visibleText(events)).toBe("Held back until the test lets each event go, one by one.");
    // One-shot: the next stream is not held.
    expect(visibleText(parseSseEvents(await (await post({ contents: [{ parts: [{ text: "again" }] }] })).text()))).toBe("Held back until the test lets each event go, one by one.");
  });

  it("continuingAnswer puts the preamble before the rest of a continued answer", () => {
    const answer = continuingAnswer("The whole answer.", { repeat: 3, preamble: "Continuing:\n" });
    const request = { body: { contents: [{ role: "user", parts: [{ text: "q" }] }, { role: "model", parts: [{ text: "The who" }] }] } };
    expect(answer(request as unknown as RecordedRequest)).toBe("Continuing:\nwhole answer.");
  });
});
