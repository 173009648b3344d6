/**
 * Live ephemeral tokens as client-caused state, through the built bundles (the self-host and the
 * worker under workerd): a token is honoured only until its own `expireTime`, and only while the
 * access key that created it is still valid; a revoked access key takes its tokens with it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GoogleGenAI } from "@google/genai";
import { GeminiSimulator } from "../sim/index.ts";
import { liveTurn, tokenUpgrade } from "../helpers/live.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";

const accessKey = "sk-live-tokens-0123456789abcdef";
const adminKey = "admin-live-tokens-0123456789abcdef";

describe.each(resumeWorkerTargets)("Live ephemeral tokens on the %s", (_name, startTarget) => {
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

  const tokens = (apiKey: string) => new GoogleGenAI({ apiKey, httpOptions: { baseUrl: target.url, apiVersion: "v1alpha" } }).authTokens;

  const upgrade = (token: string) => tokenUpgrade(target.url, token);
  const turn = (token: string) => liveTurn(target.url, token, "with a token", "v1alpha");

  it("refuses a token past its expireTime (before, it was honoured for another hour)", async () => {
    const live = await tokens(accessKey).create({ config: { uses: 0 } });
    expect(await turn(live.name!)).toBe("Echo: with a token");
    // The simulator, unlike Google, accepts an expireTime already past: gemrelay must refuse it itself.
    const expired = await tokens(accessKey).create({ config: { uses: 0, expireTime: new Date(Date.now() - 60_000).toISOString() } });
    expect(sim.authTokens.has(expired.name!)).toBe(true);
    const refusal = await upgrade(expired.name!);
    expect(refusal.status).toBe(401);
    expect(JSON.parse(refusal.body).error.message).toMatch(/expired ephemeral token/);
  });

  it("refuses a token once the access key that created it is revoked", async () => {
    const created = await fetch(`${target.url}/api/access-keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "live-token-maker" }),
    });
    expect(created.status).toBe(201);
    const { secret, accessKey: record } = (await created.json()) as { secret: string; accessKey: { id: string } };
    const live = await tokens(secret).create({ config: { uses: 0 } });
    expect(await turn(live.name!)).toBe("Echo: with a token");
    const revoked = await fetch(`${target.url}/api/access-keys/${record.id}/revoke`, { method: "POST", headers: { authorization: `Bearer ${adminKey}` } });
    expect(revoked.status).toBe(200);
    const refusal = await upgrade(live.name!);
    expect(refusal.status).toBe(401);
    expect(JSON.parse(refusal.body).error.message).toMatch(/created this ephemeral token was revoked/);
    const sessions = sim.liveSessions.filter((entry) => entry.accessToken === live.name);
    expect(sessions).toHaveLength(1);
  });
});
