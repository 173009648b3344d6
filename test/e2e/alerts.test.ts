/**
 * Issue 9, alerts: a local webhook receiver gets exactly one alert for a key turning invalid
 * under load and one for a relay going down, on the self-host bundle and the worker under workerd.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GeminiSimulator } from "../sim/index.ts";
import { freePort, startRelay, type RunningRelay } from "../helpers/chain.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";

const accessKey = "sk-alerts-access-0123456789";
const adminKey = "admin-alerts-0123456789";

interface Received {
  kind: string;
  subject: string;
  message: string;
}

describe.each(resumeWorkerTargets)("alerts on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let receiver: Server;
  let hookUrl: string;
  const received: Received[] = [];
  const running: { stop(): Promise<unknown> }[] = [];

  const generate = (target: Target, text: string) =>
    fetch(`${target.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": accessKey },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text }] }] }),
    });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 600));

  beforeAll(async () => {
    sim = await GeminiSimulator.start({ chunkChars: 64 });
    receiver = createServer((request, response) => {
      let text = "";
      request.on("data", (chunk: Buffer) => (text += chunk.toString()));
      request.on("end", () => {
        received.push(JSON.parse(text) as Received);
        response.end("ok");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((entry) => entry.stop()));
    received.length = 0;
    sim.reset();
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await sim?.close();
  });

  it("sends exactly one alert for a key turning invalid under load", async () => {
    const keys = sim.createKeys(4);
    const target = await startTarget({ AUTH_KEY: accessKey, ADMIN_KEY: adminKey, GEMINI_UPSTREAM: sim.url, GEMINI_API_KEYS: keys.join(","), ALERT_WEBHOOK_URL: hookUrl });
    running.push(target);
    expect((await generate(target, "warm up")).status).toBe(200);
    sim.setKeyBehaviour(keys[1]!, "invalid");
    const answers = await Promise.all(Array.from({ length: 24 }, (_, index) => generate(target, `load ${index}`)));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    await settle();
    expect(received.filter((alert) => alert.kind === "key-disabled")).toHaveLength(1);
    expect(received[0]).toMatchObject({ kind: "key-disabled", subject: `${keys[1]!.slice(0, 4)}…${keys[1]!.slice(-3)}` });
    expect(JSON.stringify(received)).not.toContain(keys[1]!);

    const feed = (await (await fetch(`${target.url}/api/alerts`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as { webhook: boolean; events: { kind: string; sent: boolean }[] };
    expect(feed.webhook).toBe(true);
    expect(feed.events.filter((event) => event.kind === "key-disabled")).toEqual([expect.objectContaining({ sent: true })]);
  });

  it("sends exactly one alert for a relay going down", async () => {
    const keys = sim.createKeys(2);
    const token = "relay-token-alerts-test-0123";
    const relay: RunningRelay = await startRelay({ platform: "netlify", id: "a", env: { RELAY_TOKEN: token, GEMINI_UPSTREAM: sim.hopUrl("a") } });
    running.push(relay);
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    const target = await startTarget({
      AUTH_KEY: accessKey,
      ADMIN_KEY: adminKey,
      GEMINI_UPSTREAM: sim.url,
      GEMINI_API_KEYS: keys.join(","),
      RELAY_TOKEN: token,
      RELAY_URLS: [relay.url, deadUrl].join(","),
      RELAY_FAILURE_THRESHOLD: "2",
      ALERT_WEBHOOK_URL: hookUrl,
      ALERT_FORMAT: "slack",
    });
    running.push(target);
    for (let index = 0; index < 12; index++) expect((await generate(target, `via relays ${index}`)).status).toBe(200);
    await settle();
    expect(received).toHaveLength(1);
    expect(Object.keys(received[0]!)).toEqual(["text"]);
    expect((received[0] as unknown as { text: string }).text).toMatch(/^\[gemrelay\] relay-down: .*127\.0\.0\.1/);
  });
});
