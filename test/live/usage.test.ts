/**
 * The tokens of a Live session in its usage row, through the built bundles (the self-host and the
 * worker under workerd). Google reports `usageMetadata` per turn, repeated as a running count on
 * the turn's messages (the simulator does the same): the row holds, per turn, the last one,
 * summed over the turns.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GoogleGenAI, Modality, type LiveServerMessage } from "@google/genai";
import { GeminiSimulator } from "../sim/index.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";

const accessKey = "sk-live-usage-0123456789abcdef";
const adminKey = "admin-live-usage-0123456789abcdef";

interface Logged {
  model: string;
  accessKey: string;
  status: number;
  promptTokens: number;
  completionTokens: number;
}

describe.each(resumeWorkerTargets)("Live usage on the %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    target = await startTarget({ AUTH_KEY: accessKey, ADMIN_KEY: adminKey, GEMINI_API_KEYS: sim.createKeys(2).join(","), GEMINI_UPSTREAM: sim.url });
  });
  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  it("records the session's tokens: the last usageMetadata of each turn, summed over the turns", async () => {
    const messages: LiveServerMessage[] = [];
    let turnDone: () => void = () => undefined;
    let closed: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (closed = resolve));
    const session = await new GoogleGenAI({ apiKey: accessKey, httpOptions: { baseUrl: target.url } }).live.connect({
      model: "gemini-2.5-flash",
      config: { responseModalities: [Modality.TEXT] },
      callbacks: {
        onmessage: (message) => {
          messages.push(message);
          if (message.serverContent?.turnComplete) turnDone();
        },
        onclose: () => closed(),
      },
    });
    for (const text of ["first turn", "the second, longer turn"]) {
      const done = new Promise<void>((resolve) => (turnDone = resolve));
      session.sendClientContent({ turns: [{ role: "user", parts: [{ text }] }], turnComplete: true });
      await done;
    }
    session.close();
    await ended;

    // What Google (the simulator) reported: per turn, the usage on its turnComplete message.
    const sent = sim.liveSessions.at(-1)!.sent as { serverContent?: { turnComplete?: boolean }; usageMetadata?: { promptTokenCount: number; responseTokenCount: number } }[];
    const finals = sent.filter((message) => message.serverContent?.turnComplete).map((message) => message.usageMetadata!);
    expect(finals).toHaveLength(2);
    // Several messages of a turn carry usage: summing every one would count a turn more than once.
    expect(sent.filter((message) => message.usageMetadata).length).toBeGreaterThan(2);
    // The second turn's prompt counts the first turn again (the session's context).
    expect(finals[1]!.promptTokenCount).toBeGreaterThan(finals[0]!.promptTokenCount);
    const prompt = finals[0]!.promptTokenCount + finals[1]!.promptTokenCount;
    const response = finals[0]!.responseTokenCount + finals[1]!.responseTokenCount;
    // The client saw the same usage Google sent.
    expect(messages.filter((message) => message.usageMetadata).length).toBe(sent.filter((message) => message.usageMetadata).length);

    const logged = async (): Promise<Logged[]> => {
      const log = await (await fetch(`${target.url}/api/requests?limit=100`, { headers: { authorization: `Bearer ${adminKey}` } })).json();
      return (log.requests as Logged[]).filter((entry) => entry.model === "gemini-2.5-flash");
    };
    await expect.poll(async () => (await logged()).length).toBe(1);
    expect((await logged())[0]).toMatchObject({ accessKey: "env", status: 200, promptTokens: prompt, completionTokens: response });

    const usage = await (await fetch(`${target.url}/api/usage?days=1`, { headers: { authorization: `Bearer ${adminKey}` } })).json();
    expect(JSON.stringify(usage)).toContain(`"promptTokens":${prompt}`);
  });
});
