/**
 * Issue #16, part 4: the Live API (`ai.live.connect`, a WebSocket) through the built bundles, the
 * self-host under Node and the worker under workerd, with the simulator's Live endpoint as
 * Gemini: a text turn and a tool-call turn with an access key, the model policy on the setup,
 * a bad access key refused at the upgrade, refused pool keys skipped before the session starts,
 * goAway relayed, ephemeral tokens, one usage row per session, and no pool key ever reaching the
 * client.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GoogleGenAI, Modality, type LiveServerMessage, type Session } from "@google/genai";
import { WebSocket } from "ws";
import { GeminiSimulator } from "../sim/index.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";

const accessKey = "sk-live-access-0123456789abcdef";
const adminKey = "admin-live-0123456789abcdef";
const livePath = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";
const modelPolicy = { disabled: ["gemini-2.0-flash"], aliases: { "live-fast": "gemini-2.5-flash" } };

/** A Live client session with every message and the close it saw. */
interface Observed {
  messages: LiveServerMessage[];
  /** Everything the client received, as text, to look for secrets in. */
  raw: string[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first message (already received or next) that matches. */
  next(predicate: (message: LiveServerMessage) => boolean): Promise<LiveServerMessage>;
}

function observe(): { observed: Observed; callbacks: Parameters<GoogleGenAI["live"]["connect"]>[0]["callbacks"] } {
  const messages: LiveServerMessage[] = [];
  const raw: string[] = [];
  const waiters: { predicate: (message: LiveServerMessage) => boolean; resolve: (message: LiveServerMessage) => void }[] = [];
  let onClose: (close: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClose = resolve));
  const observed: Observed = {
    messages,
    raw,
    closed,
    next: (predicate) => {
      const found = messages.find(predicate);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
  };
  return {
    observed,
    callbacks: {
      onmessage: (message) => {
        messages.push(message);
        raw.push(JSON.stringify(message));
        for (const waiter of waiters.splice(0)) {
          if (waiter.predicate(message)) waiter.resolve(message);
          else waiters.push(waiter);
        }
      },
      onclose: (event) => onClose({ code: event.code, reason: event.reason }),
      onerror: () => undefined,
    },
  };
}

/** The text of the model turn that ends with the next turnComplete. */
async function turnText(observed: Observed, from: number): Promise<string> {
  await observed.next((message) => observed.messages.indexOf(message) >= from && message.serverContent?.turnComplete === true);
  return observed.messages
    .slice(from)
    .flatMap((message) => message.serverContent?.modelTurn?.parts ?? [])
    .map((part) => part.text ?? "")
    .join("");
}

describe.each(resumeWorkerTargets)("Live API on the %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;
  let poolKeys: string[];
  const sessions: Session[] = [];

  const client = (apiKey = accessKey, apiVersion?: string) => new GoogleGenAI({ apiKey, httpOptions: { baseUrl: target.url, ...(apiVersion ? { apiVersion } : {}) } });

  async function connect(options: { model?: string; tools?: boolean; apiKey?: string; apiVersion?: string } = {}) {
    const { observed, callbacks } = observe();
    const session = await client(options.apiKey, options.apiVersion).live.connect({
      model: options.model ?? "gemini-2.5-flash",
      config: {
        responseModalities: [Modality.TEXT],
        ...(options.tools ? { tools: [{ functionDeclarations: [{ name: "lookup_weather", description: "Weather of a city", parameters: { type: "OBJECT" as never, properties: { query: { type: "STRING" as never } } } }] }] } : {}),
      },
      callbacks,
    });
    sessions.push(session);
    return { session, observed };
  }

  function expectNoPoolKey(texts: string[]): void {
    const said = texts.join("\n");
    for (const key of poolKeys) expect(said.includes(key), "a pool key reached the client").toBe(false);
  }

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    poolKeys = sim.createKeys(3);
    target = await startTarget({
      AUTH_KEY: accessKey,
      ADMIN_KEY: adminKey,
      GEMINI_API_KEYS: poolKeys.join(","),
      GEMINI_UPSTREAM: sim.url,
      MODEL_POLICY: JSON.stringify(modelPolicy),
    });
  });

  afterAll(async () => {
    for (const session of sessions) session.close();
    await target?.stop();
    await sim?.close();
  });

  beforeEach(() => sim.reset());

  it("does a text turn with the access key; Gemini sees a pool key, the client none", async () => {
    const { session, observed } = await connect();
    expect(observed.messages[0]?.setupComplete).toBeDefined();
    session.sendClientContent({ turns: [{ role: "user", parts: [{ text: "hello live" }] }], turnComplete: true });
    expect(await turnText(observed, 1)).toBe("Echo: hello live");

    const upstream = sim.liveSessions.at(-1)!;
    expect(poolKeys).toContain(upstream.key);
    expect(upstream.model).toBe("gemini-2.5-flash");
    expect(upstream.received[1]).toMatchObject({ clientContent: { turns: [{ role: "user", parts: [{ text: "hello live" }] }] } });
    expectNoPoolKey(observed.raw);
    session.close();
    await observed.closed;
    // The client's close reaches Google (its "no code" as 1000).
    await expect.poll(() => upstream.closed).toMatchObject({ code: 1000, by: "client" });
  });

  it("does a tool-call turn: toolCall out, the client's toolResponse back, then the answer", async () => {
    const { session, observed } = await connect({ tools: true });
    session.sendClientContent({ turns: [{ role: "user", parts: [{ text: "weather in Oslo" }] }], turnComplete: true });
    const call = await observed.next((message) => message.toolCall !== undefined);
    const functionCall = call.toolCall!.functionCalls![0]!;
    expect(functionCall).toMatchObject({ name: "lookup_weather", args: { query: "weather in Oslo" } });
    const from = observed.messages.length;
    session.sendToolResponse({ functionResponses: [{ id: functionCall.id!, name: functionCall.name!, response: { forecast: "sunny" } }] });
    expect(await turnText(observed, from)).toBe('Tool lookup_weather answered {"forecast":"sunny"}');
    expectNoPoolKey(observed.raw);
  });

  it("resolves a model alias in the setup and relays goAway and realtimeInput", async () => {
    const { session, observed } = await connect({ model: "live-fast" });
    expect(sim.liveSessions.at(-1)!.model).toBe("gemini-2.5-flash");
    sim.liveGoAway("7s");
    expect((await observed.next((message) => message.goAway !== undefined)).goAway).toMatchObject({ timeLeft: "7s" });
    const from = observed.messages.length;
    session.sendRealtimeInput({ text: "spoken words" });
    expect(await turnText(observed, from)).toBe("Echo: spoken words");
  });

  it("passes Google's close to the client with its code and reason", async () => {
    const { observed } = await connect();
    sim.closeLiveSessions(1011, "Internal error encountered.");
    expect(await observed.closed).toEqual({ code: 1011, reason: "Internal error encountered." });
  });

  it("relays binary and text frames as they are, in both directions", async () => {
    const socket = new WebSocket(`${target.url.replace(/^http/, "ws")}${livePath}?key=${accessKey}`);
    const frames: { text: string; binary: boolean }[] = [];
    let arrived: () => void = () => undefined;
    socket.on("message", (data: Buffer, binary: boolean) => {
      frames.push({ text: data.toString("utf8"), binary });
      arrived();
    });
    const until = (count: number) => new Promise<void>((resolve) => (arrived = () => frames.length >= count && resolve()));
    await new Promise((resolve) => socket.once("open", resolve));
    const first = until(1);
    // A setup sent as a binary frame, a turn as a text frame: Google reads both.
    socket.send(Buffer.from(JSON.stringify({ setup: { model: "models/gemini-2.5-flash" } })), { binary: true });
    await first;
    expect(frames[0]).toEqual({ text: JSON.stringify({ setupComplete: {} }), binary: true });
    const turn = until(3);
    socket.send(JSON.stringify({ clientContent: { turns: [{ role: "user", parts: [{ text: "raw" }] }], turnComplete: true } }));
    await turn;
    expect(frames.every((frame) => frame.binary)).toBe(true);
    expect(JSON.parse(frames[1]!.text)).toMatchObject({ serverContent: { modelTurn: { parts: [{ text: "Echo: raw" }] } } });
    expect(sim.liveSessions.at(-1)!.received).toHaveLength(2);
    socket.close(4000, "bye");
    await expect.poll(() => sim.liveSessions.at(-1)!.closed).toMatchObject({ code: 4000, reason: "bye", by: "client" });
  });

  it("closes a session whose setup names a disabled model with 1008 naming the model", async () => {
    const { observed, callbacks } = observe();
    // connect() waits for setupComplete, which never comes: the close is what the client gets.
    void client().live.connect({ model: "gemini-2.0-flash", config: { responseModalities: [Modality.TEXT] }, callbacks });
    const close = await observed.closed;
    expect(close.code).toBe(1008);
    expect(close.reason).toContain("gemini-2.0-flash");
    expect(close.reason).toMatch(/disabled/);
    expect(sim.liveSessions).toHaveLength(0);
  });

  it("refuses a bad access key at the upgrade, before any socket opens", async () => {
    const url = `${target.url.replace(/^http/, "ws")}${livePath}?key=not-the-access-key`;
    const refusal = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.once("open", () => reject(new Error("the socket opened")));
      socket.once("unexpected-response", (_request, response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      });
      socket.once("error", reject);
    });
    expect(refusal.status).toBe(401);
    expect(JSON.parse(refusal.body).error.message).toMatch(/API key not valid/);
    expect(sim.liveSessions).toHaveLength(0);
  });

  it("skips pool keys Google refuses (a close after setup, a refused upgrade) before the client's session starts", async () => {
    const [first, second, third] = poolKeys as [string, string, string];
    sim.setKeyBehaviour(first, "rate-limit-minute"); // Google: close 1011 "You exceeded your current quota" → cooled
    sim.setKeyBehaviour(second, "invalid"); // Google: close 1007 "API key not valid" → disabled
    sim.refuseLiveUpgrade(third, 503); // once: the upgrade itself answered 503 → retried
    const tried = (key: string) => sim.liveSessions.filter((entry) => entry.key === key);
    // Round-robin decides which key a session tries first: connect until each refusal was met.
    for (let round = 0; round < 6 && (tried(first).length === 0 || tried(second).length === 0 || !tried(third).some((entry) => entry.refusedUpgrade)); round++) {
      const { session, observed } = await connect();
      // The client's first message is setupComplete, and it saw no close: the retries were invisible.
      expect(observed.messages[0]?.setupComplete).toBeDefined();
      session.sendClientContent({ turns: [{ role: "user", parts: [{ text: `round ${round}` }] }], turnComplete: true });
      expect(await turnText(observed, 1)).toBe(`Echo: round ${round}`);
      expect(sim.liveSessions.at(-1)!.key).toBe(third);
      expectNoPoolKey(observed.raw);
      session.close();
    }
    expect(tried(first)).toEqual([expect.objectContaining({ closed: expect.objectContaining({ code: 1011, by: "server" }) })]);
    expect(tried(second)).toEqual([expect.objectContaining({ closed: expect.objectContaining({ code: 1007, by: "server" }) })]);
    expect(tried(third).filter((entry) => entry.refusedUpgrade === 503)).toHaveLength(1);
    // Cooled and disabled: the next session goes to the good key without asking the others again.
    await connect();
    expect(tried(first)).toHaveLength(1);
    expect(tried(second)).toHaveLength(1);
    const status = await (await fetch(`${target.url}/status`, { headers: { authorization: `Bearer ${adminKey}` } })).json();
    expect(JSON.stringify(status)).not.toContain(second);
    sim.setKeyBehaviour(first, "ok");
    sim.setKeyBehaviour(second, "ok");
    expect((await fetch(`${target.url}/admin/reset-keys`, { method: "POST", headers: { authorization: `Bearer ${adminKey}` } })).status).toBe(200);
  });

  it("creates ephemeral tokens with a pool key, and a Live connect with the token works without an access key", async () => {
    const token = await client(accessKey, "v1alpha").authTokens.create({ config: { uses: 1 } });
    expect(token.name).toMatch(/^auth_tokens\//);
    expect(poolKeys).toContain(sim.authTokens.get(token.name!));
    const { session, observed } = await connect({ apiKey: token.name!, apiVersion: "v1alpha" });
    const upstream = sim.liveSessions.at(-1)!;
    expect(upstream).toMatchObject({ accessToken: token.name, key: null, path: "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained" });
    session.sendClientContent({ turns: [{ role: "user", parts: [{ text: "token turn" }] }], turnComplete: true });
    expect(await turnText(observed, 1)).toBe("Echo: token turn");

    const url = `${target.url.replace(/^http/, "ws")}/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained?access_token=auth_tokens/unknown`;
    const status = await new Promise<number>((resolve) => new WebSocket(url).once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0)));
    expect(status).toBe(401);
  });

  it("records one usage row per session with its model and says live: true on /health", async () => {
    const { session, observed } = await connect();
    session.sendClientContent({ turns: [{ role: "user", parts: [{ text: "count me" }] }], turnComplete: true });
    await turnText(observed, 1);
    session.close();
    await observed.closed;
    const health = await (await fetch(`${target.url}/health`)).json();
    expect(health.live).toBe(true);
    const status = await (await fetch(`${target.url}/status`, { headers: { authorization: `Bearer ${adminKey}` } })).json();
    expect(status.relays).toEqual([expect.objectContaining({ id: "direct", live: true })]);
    const relays = await (await fetch(`${target.url}/api/relays`, { headers: { authorization: `Bearer ${adminKey}` } })).json();
    expect(relays.relays).toEqual([expect.objectContaining({ id: "direct", live: true })]);
    const served = sim.liveSessions.at(-1)!.key!;
    const masked = `${served.slice(0, 4)}…${served.slice(-3)}`;
    const logged = async () => {
      const log = await (await fetch(`${target.url}/api/requests?limit=100`, { headers: { authorization: `Bearer ${adminKey}` } })).json();
      return (log.requests as { model: string; accessKey: string; poolKey: string; status: number }[]).filter((entry) => entry.model === "gemini-2.5-flash" && entry.poolKey === masked);
    };
    // One row for the session (model, access key, pool key), however many turns it had.
    await expect.poll(async () => (await logged()).length).toBeGreaterThan(0);
    expect((await logged()).at(0)).toMatchObject({ accessKey: "env", status: 200 });
  });

  it("applies the access key's model allow-list to the setup", async () => {
    const created = await fetch(`${target.url}/api/access-keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "live-flash-only", models: ["gemini-2.5-flash"] }),
    });
    expect(created.status).toBe(201);
    const secret: string = (await created.json()).secret;
    const { observed, callbacks } = observe();
    void client(secret).live.connect({ model: "gemini-2.5-pro", config: { responseModalities: [Modality.TEXT] }, callbacks });
    const close = await observed.closed;
    expect(close).toMatchObject({ code: 1008 });
    expect(close.reason).toContain("gemini-2.5-pro");
    expect(sim.liveSessions).toHaveLength(0);
    const allowed = await connect({ apiKey: secret });
    expect(allowed.observed.messages[0]?.setupComplete).toBeDefined();
  });
});

describe.each(resumeWorkerTargets)("Live API behind relays that cannot carry WebSockets, on the %s", (_name, startTarget) => {
  let target: Target;

  beforeAll(async () => {
    target = await startTarget({ AUTH_KEY: accessKey, ADMIN_KEY: adminKey, GEMINI_API_KEYS: "AIza" + "SyLiveRelayOnly0123456789abcdefghij", RELAY_URLS: "http://127.0.0.1:9/relay", RELAY_TOKEN: "relay-token-0123456789abcdef" });
  });
  afterAll(() => target?.stop());

  it("says live: false on /health and refuses the upgrade with a 503 that says why", async () => {
    const health = await (await fetch(`${target.url}/health`)).json();
    expect(health.live).toBe(false);
    const relays = await (await fetch(`${target.url}/api/relays`, { headers: { authorization: `Bearer ${adminKey}` } })).json();
    expect(relays.relays).toEqual([expect.objectContaining({ id: "127.0.0.1:9/relay", live: false })]);
    const url = `${target.url.replace(/^http/, "ws")}${livePath}?key=${accessKey}`;
    const refusal = await new Promise<{ status: number; body: string }>((resolve) => {
      new WebSocket(url).once("unexpected-response", (_request, response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      });
    });
    expect(refusal.status).toBe(503);
    expect(JSON.parse(refusal.body).error.message).toMatch(/WebSockets/);
  });
});
