/** The platform entries (relays/netlify, relays/vercel) exercised with web Requests. */
import type { Context } from "@netlify/functions";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import netlifyRelay, { config as netlifyConfig } from "../../relays/netlify/index.ts";
import vercelRelay from "../../relays/vercel/index.ts";
import { startServer, startUpstream, type FakeUpstream } from "./harness.ts";

const token = "entry-token-0123456789";
const key = "AIzaSyENTRYKEY000000000000000000000000";
const names = ["RELAY_TOKEN", "GEMINI_UPSTREAM", "AWS_REGION", "VERCEL_REGION"] as const;
const saved = new Map<string, string | undefined>();

let upstream: FakeUpstream;

function fakeContext(region?: string): Context {
  return { server: region ? { region } : {}, geo: { country: { code: "HK" } } } as unknown as Context;
}

function generate(base: string, headers: Record<string, string>): Request {
  return new Request(`${base}/v1beta/models/gemini-2.5-flash:generateContent?key=${key}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: "{}",
  });
}

beforeEach(async () => {
  for (const name of names) saved.set(name, process.env[name]);
  for (const name of names) delete process.env[name];
  upstream = await startUpstream();
  process.env.RELAY_TOKEN = token;
  process.env.GEMINI_UPSTREAM = upstream.url;
});

afterEach(async () => {
  await upstream.close();
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("relays/netlify", () => {
  it("exports a literal config routing the Gemini paths and /health, pinned to a region", () => {
    expect(netlifyConfig).toEqual({ path: ["/v1beta/*", "/v1/*", "/v1alpha/*", "/upload/*", "/health"], region: "cmh" });
  });

  it("forwards with the hop secret and refuses without it", async () => {
    const ok = await netlifyRelay(generate("https://relay.netlify.app", { "x-relay-token": token }), fakeContext());
    expect(ok.status).toBe(200);
    expect(upstream.received[0]?.headers["x-goog-api-key"]).toBe(key);
    expect(upstream.received[0]?.url).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    const refused = await netlifyRelay(generate("https://relay.netlify.app", {}), fakeContext());
    expect(refused.status).toBe(401);
    expect(upstream.received).toHaveLength(1);
  });

  it("reports the region it runs in as Netlify's airport code, else the configured one", async () => {
    const health = async (context: Context) => (await netlifyRelay(new Request("https://relay.netlify.app/health"), context)).json();
    expect(await health(fakeContext())).toEqual({ ok: true, platform: "netlify", region: "cmh" });
    process.env.AWS_REGION = "eu-central-1";
    expect(await health(fakeContext())).toMatchObject({ region: "fra" });
    expect(await health(fakeContext("us-west-2"))).toMatchObject({ region: "pdx" });
  });

  it("refuses to forward (503) when RELAY_TOKEN is unset", async () => {
    delete process.env.RELAY_TOKEN;
    const response = await netlifyRelay(generate("https://relay.netlify.app", { "x-relay-token": "" }), fakeContext());
    expect(response.status).toBe(503);
    expect(upstream.received).toHaveLength(0);
  });
});

describe("relays/vercel", () => {
  it("serves the web-standard fetch export, region from VERCEL_REGION", async () => {
    process.env.VERCEL_REGION = "fra1";
    const health = await vercelRelay.fetch(new Request("https://relay.vercel.app/health"));
    expect(await health.json()).toEqual({ ok: true, platform: "vercel", region: "fra1" });
    const response = await vercelRelay.fetch(generate("https://relay.vercel.app", { "x-relay-token": token }));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-gemrelay-relay")).toBe("vercel:fra1");
    expect(upstream.received[0]?.headers["x-goog-api-key"]).toBe(key);
  });

  it("works behind a real Node HTTP server", async () => {
    const server = await startServer((request) => vercelRelay.fetch(request));
    try {
      const response = await fetch(generate(server.url, { "x-relay-token": token }));
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('{"ok":true}');
      expect(upstream.received[0]?.url).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    } finally {
      await server.close();
    }
  });
});
