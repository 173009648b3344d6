/**
 * The local chain as `gemrelay dev` runs it — worker bundle under workerd, Netlify and Vercel
 * relay bundles under Node — in front of the simulator, driven by the official @google/genai SDK.
 */
import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDevChain, type DevChain } from "../../deploy/dev.ts";
import { parseManifest } from "../../deploy/manifest.ts";
import { GeminiSimulator } from "../sim/index.ts";
import { temporaryDirectory } from "../helpers/process.ts";

const accessKey = "sk-chain-access-0123456789abcdef";
const adminKey = "admin-chain-0123456789abcdef";
const relayToken = "relay-token-chain-0123456789abcdef";

describe("gemrelay dev chain with @google/genai", () => {
  let sim: GeminiSimulator;
  let chain: DevChain;
  let keys: string[];
  const logged: string[] = [];

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    keys = [sim.createKey(), sim.createKey(), sim.createKey()];
    const manifest = parseManifest({
      name: "chain-test",
      worker: { name: "chain-test" },
      relays: [
        { id: "nf", platform: "netlify", region: "cmh", upstream: sim.hopUrl("nf") },
        { id: "vc", platform: "vercel", region: "iad1", upstream: sim.hopUrl("vc") },
      ],
    });
    chain = await startDevChain({
      manifest,
      port: 0,
      // Netlify bundles carry their relay's region, so this manifest gets its own build.
      outDir: temporaryDirectory("gemrelay-chain-dist-"),
      stateDir: temporaryDirectory("gemrelay-chain-"),
      log: (line) => logged.push(line),
      env: { GEMINI_API_KEYS: keys.join(","), AUTH_KEY: accessKey, ADMIN_KEY: adminKey, RELAY_TOKEN: relayToken, GEMINI_UPSTREAM: sim.url },
    });
  }, 90_000);

  afterAll(async () => {
    await chain?.close();
    await sim?.close();
  });

  beforeEach(() => sim.reset());

  const sdk = () => new GoogleGenAI({ apiKey: accessKey, httpOptions: { baseUrl: chain.workerUrl } });

  it("answers generateContent and streams, through a relay", async () => {
    const response = await sdk().models.generateContent({ model: "gemini-2.5-flash", contents: "through the chain" });
    expect(response.text).toBe("Echo: through the chain");
    const text = "A streamed answer that crosses the worker, a relay and the simulator in several chunks.";
    sim.setAnswer(() => text);
    const chunks: string[] = [];
    for await (const chunk of await sdk().models.generateContentStream({ model: "gemini-2.5-flash", contents: "stream" })) chunks.push(chunk.text ?? "");
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.join("")).toBe(text);
    expect(sim.requests.every((request) => request.hop === "nf" || request.hop === "vc")).toBe(true);
  });

  it("counts tokens, embeds and lists models", async () => {
    expect((await sdk().models.countTokens({ model: "gemini-2.5-flash", contents: "count me" })).totalTokens).toBeGreaterThan(0);
    const embedded = await sdk().models.embedContent({ model: "gemini-embedding-001", contents: "embed me", config: { outputDimensionality: 8 } });
    expect(embedded.embeddings?.[0]?.values).toHaveLength(8);
    const names: string[] = [];
    for await (const model of await sdk().models.list()) names.push(model.name ?? "");
    expect(names).toContain("models/gemini-2.5-pro");
  });

  it("spreads requests evenly over keys and over relays", async () => {
    for (let index = 0; index < 12; index++) await sdk().models.generateContent({ model: "gemini-2.5-flash", contents: `even ${index}` });
    expect(keys.map((key) => sim.requests.filter((request) => request.key === key).length)).toEqual([4, 4, 4]);
    expect(["nf", "vc"].map((hop) => sim.requests.filter((request) => request.hop === hop).length)).toEqual([6, 6]);
  });

  it("keeps secrets out of upstream URLs, relay hops and logs", async () => {
    await sdk().models.generateContent({ model: "gemini-2.5-flash", contents: "secret check" });
    const received = sim.requests[0]!;
    expect(received.keyInUrl).toBe(false);
    expect(received.headers["x-relay-token"]).toBeUndefined();
    expect(received.headers["x-goog-api-key"]).toBe(received.key);
    for (const secret of [accessKey, adminKey, relayToken, ...keys]) expect(logged.join("\n")).not.toContain(secret);
  });

  it("relays refuse requests without the hop secret", async () => {
    for (const relay of chain.relays) {
      for (const token of [undefined, "wrong-token"]) {
        const response = await fetch(`${relay.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-goog-api-key": keys[0]!, ...(token ? { "x-relay-token": token } : {}) },
          body: JSON.stringify({ contents: [{ parts: [{ text: "hi" }] }] }),
        });
        expect(response.status).toBe(401);
        expect(((await response.json()) as { error: { status: string } }).error.status).toBe("UNAUTHENTICATED");
      }
    }
    expect(sim.requests).toHaveLength(0);
  });
});

describe("gemrelay dev chain with a routing policy from the manifest", () => {
  let sim: GeminiSimulator;
  let chain: DevChain;
  let keys: string[];

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    keys = [sim.createKey(), sim.createKey(), sim.createKey()];
    const manifest = parseManifest({
      name: "policy-test",
      worker: { name: "policy-test" },
      relays: [
        { id: "heavy", platform: "vercel", region: "iad1", weight: 3, upstream: sim.hopUrl("heavy") },
        { id: "light", platform: "vercel", region: "sfo1", weight: 1, upstream: sim.hopUrl("light") },
      ],
      routing: { relays: "weighted", sticky: true },
    });
    chain = await startDevChain({
      manifest,
      port: 0,
      outDir: temporaryDirectory("gemrelay-policy-dist-"),
      stateDir: temporaryDirectory("gemrelay-policy-"),
      log: () => undefined,
      env: { GEMINI_API_KEYS: keys.join(","), AUTH_KEY: accessKey, ADMIN_KEY: adminKey, RELAY_TOKEN: relayToken, GEMINI_UPSTREAM: sim.url },
    });
  }, 90_000);

  afterAll(async () => {
    await chain?.close();
    await sim?.close();
  });

  it("weights relays 3:1 and keeps a conversation on one key (sticky)", async () => {
    const sdk = new GoogleGenAI({ apiKey: accessKey, httpOptions: { baseUrl: chain.workerUrl } });
    for (let index = 0; index < 8; index++) {
      await sdk.models.generateContent({ model: "gemini-2.5-flash", contents: [{ role: "user", parts: [{ text: "same conversation" }] }] });
    }
    expect(["heavy", "light"].map((hop) => sim.requests.filter((request) => request.hop === hop).length)).toEqual([6, 2]);
    expect(new Set(sim.requests.map((request) => request.key)).size).toBe(1);
    for (let index = 0; index < 12; index++) await sdk.models.generateContent({ model: "gemini-2.5-flash", contents: `conversation ${index}` });
    expect(new Set(sim.requests.map((request) => request.key)).size).toBe(3);
  });
});
