/**
 * The built egress relay bundles under their platforms' own local runtimes (offline, from npm):
 * the Netlify function under `netlify functions:serve --offline`, the Vercel function under
 * `@vercel/node`'s dev server, in front of the simulator. Each runtime starts once for the file.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startNetlifyFunctionsServe, startVercelDevServer, type RunningRuntime } from "../helpers/runtimes.ts";
import { expectEventsAsReleased } from "../helpers/streaming.ts";
import { finishReasonOf, GeminiSimulator, parseSseEvents, visibleText } from "../sim/index.ts";

const relayToken = "relay-token-runtimes-0123456789abcdef";
const model = "gemini-2.5-flash";
const body = JSON.stringify({ contents: [{ role: "user", parts: [{ text: "through a real platform runtime" }] }] });
const answer = "An answer streamed through the platform's own runtime in many small chunks, each one forwarded as it comes.";

type Starter = (env: Record<string, string>) => Promise<RunningRuntime>;
const runtimes: [string, string, string, Starter][] = [
  ["netlify functions:serve --offline", "netlify", "dev", (env) => startNetlifyFunctionsServe(env)],
  ["@vercel/node startDevServer", "vercel", "dev1", (env) => startVercelDevServer(env)],
];

describe.each(runtimes)("relay bundle under %s", (_name, platform, region, start) => {
  let sim: GeminiSimulator;
  let relay: RunningRuntime;
  let key: string;

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    key = sim.createKey();
    relay = await start({ RELAY_TOKEN: relayToken, GEMINI_UPSTREAM: sim.hopUrl(platform) });
  }, 120_000);

  afterAll(async () => {
    await relay?.stop();
    await sim?.close();
  });

  beforeEach(() => {
    sim.reset();
    sim.setAnswer(() => answer);
  });

  const generate = (query: string, headers: Record<string, string> = {}) =>
    fetch(`${relay.url}/v1beta/models/${model}:streamGenerateContent${query}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": key, "x-relay-token": relayToken, ...headers },
      body,
    });

  it("answers /health with its platform and the runtime's region", async () => {
    const response = await fetch(`${relay.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, platform, region });
  });

  it("refuses requests without the hop secret, or with a wrong one, before calling upstream", async () => {
    for (const token of [undefined, "wrong-token-0123456789abcdef"]) {
      const response = await fetch(`${relay.url}/v1beta/models/${model}:generateContent`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-goog-api-key": key, ...(token ? { "x-relay-token": token } : {}) },
        body,
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { status: string } }).error.status).toBe("UNAUTHENTICATED");
    }
    expect(sim.requests).toHaveLength(0);
  });

  it("forwards with the key in a header, never in the upstream URL", async () => {
    const response = await generate("?alt=sse");
    expect(visibleText(parseSseEvents(await response.text()))).toBe(answer);
    expect(sim.requests).toHaveLength(1);
    expect(sim.requests[0]).toMatchObject({ hop: platform, key, keyInUrl: false });
    expect(sim.requests[0]!.headers["x-relay-token"]).toBeUndefined();
  });

  for (const [framing, query] of [["sse", "?alt=sse"], ["json-array", ""]] as const) {
    for (const encoding of ["gzip, deflate", "identity"]) {
      it(`streams ${framing} event by event (Accept-Encoding: ${encoding})`, async () => {
        const gate = sim.gateNextStream();
        const { text, events } = await expectEventsAsReleased(generate(query, { "accept-encoding": encoding }), gate, framing);
        expect(events).toBeGreaterThan(3);
        const chunks = framing === "sse" ? parseSseEvents(text) : (JSON.parse(text) as unknown[]);
        expect(visibleText(chunks)).toBe(answer);
      });
    }
  }

  it("passes a cut mid-stream on as a cut: the stream ends early, without a finish reason", async () => {
    sim.enqueue({ kind: "cut", afterChars: 30, mode: "close" });
    const response = await generate("?alt=sse");
    expect(response.status).toBe(200);
    const text = await response.text().catch(() => "");
    const events = parseSseEvents(text);
    expect(visibleText(events).length).toBeLessThan(answer.length);
    expect(events.map(finishReasonOf).filter(Boolean)).toEqual([]);
  });
});
