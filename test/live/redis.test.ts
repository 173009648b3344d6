/**
 * Live API on two self-host instances sharing one Redis: an ephemeral token made through one
 * instance opens a Live session through the other (the token → key record is shared state), and
 * a key disabled by one instance's Live session is skipped by the other's. Tokens are resource
 * records with the token's expiry (never settings): an expired one is refused by both instances
 * and dropped by a later write, and revoking the access key that made a token refuses it on the
 * other instance too.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GoogleGenAI } from "@google/genai";
import { GeminiSimulator } from "../sim/index.ts";
import { startSelfHost, temporaryDirectory, type Child } from "../helpers/process.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";
import { liveTurn, tokenUpgrade } from "../helpers/live.ts";

const accessKey = "sk-live-redis-0123456789abcdef";
const adminKey = "admin-live-redis-0123456789abcdef";

describe("Live API on two self-hosts sharing Redis", () => {
  let redis: RedisServer;
  let sim: GeminiSimulator;
  let keys: string[];
  const instances: (Child & { url: string })[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    sim = await GeminiSimulator.start();
    keys = sim.createKeys(2);
    for (let index = 0; index < 2; index++) {
      const dataDir = temporaryDirectory();
      instances.push(
        await startSelfHost({
          GEMINI_API_KEYS: keys.join(","),
          AUTH_KEY: accessKey,
          ADMIN_KEY: adminKey,
          DATA_DIR: dataDir,
          KEYS_FILE: join(dataDir, "keys.txt"),
          GEMINI_UPSTREAM: sim.url,
          REDIS_URL: redis.url,
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const instance of instances) await instance.stop();
    await sim?.close();
    await redis?.stop();
  });

  /** Connects through instance `index` and answers one text turn. */
  const turn = (index: number, apiKey: string, apiVersion?: string) => liveTurn(instances[index]!.url, apiKey, `through ${index}`, apiVersion);

  it("opens a Live session with a token made through the other instance", async () => {
    const token = await new GoogleGenAI({ apiKey: accessKey, httpOptions: { baseUrl: instances[0]!.url, apiVersion: "v1alpha" } }).authTokens.create({ config: { uses: 1 } });
    expect(await turn(1, token.name!, "v1alpha")).toBe("Echo: through 1");
    expect(sim.liveSessions.at(-1)).toMatchObject({ accessToken: token.name, key: null });
  });

  /** The HTTP status of a Live upgrade with `token` through instance `index` (101: it opened). */
  const upgrade = async (index: number, token: string) => (await tokenUpgrade(instances[index]!.url, token)).status;

  it("keeps tokens as bounded resource records: an expired one is refused everywhere and dropped", async () => {
    const state = new Redis(redis.url);
    try {
      const tokens = new GoogleGenAI({ apiKey: accessKey, httpOptions: { baseUrl: instances[0]!.url, apiVersion: "v1alpha" } }).authTokens;
      const expired = await tokens.create({ config: { uses: 0, expireTime: new Date(Date.now() - 60_000).toISOString() } });
      const name = `live-tokens/${createHash("sha256").update(expired.name!).digest("hex")}`;
      expect(await state.hexists("gemrelay:resources", name)).toBe(1);
      expect(await upgrade(0, expired.name!)).toBe(401);
      expect(await upgrade(1, expired.name!)).toBe(401);
      // Any later record write drops the expired ones.
      const fresh = await tokens.create({ config: { uses: 0 } });
      expect(await state.hexists("gemrelay:resources", name)).toBe(0);
      expect(await state.hexists("gemrelay:resources", `live-tokens/${createHash("sha256").update(fresh.name!).digest("hex")}`)).toBe(1);
      // Nothing of a token in the settings, and the token itself nowhere.
      expect(Object.keys(await state.hgetall("gemrelay:settings")).filter((setting) => setting.includes("token"))).toEqual([]);
      expect(JSON.stringify(await state.hgetall("gemrelay:resources"))).not.toContain(fresh.name!);
    } finally {
      state.disconnect();
    }
  });

  it("refuses on one instance a token whose access key was revoked on the other", async () => {
    const headers = { authorization: `Bearer ${adminKey}`, "content-type": "application/json" };
    const created = await fetch(`${instances[0]!.url}/api/access-keys`, { method: "POST", headers, body: JSON.stringify({ name: "redis-live-token-maker" }) });
    const { secret, accessKey: record } = (await created.json()) as { secret: string; accessKey: { id: string } };
    const token = await new GoogleGenAI({ apiKey: secret, httpOptions: { baseUrl: instances[0]!.url, apiVersion: "v1alpha" } }).authTokens.create({ config: { uses: 0 } });
    expect(await turn(1, token.name!, "v1alpha")).toBe("Echo: through 1");
    expect((await fetch(`${instances[0]!.url}/api/access-keys/${record.id}/revoke`, { method: "POST", headers })).status).toBe(200);
    expect(await upgrade(0, token.name!)).toBe(401);
    // Instance 1 learns of the revocation with its next refresh of the access keys.
    await expect.poll(() => upgrade(1, token.name!), { timeout: 30_000, interval: 500 }).toBe(401);
  });

  it("skips on one instance a key another instance's Live session disabled", async () => {
    const [bad, good] = keys as [string, string];
    sim.setKeyBehaviour(bad, "invalid");
    // Until instance 0 has met the bad key (round-robin decides when), every turn still answers.
    for (let round = 0; round < 4 && !sim.liveSessions.some((entry) => entry.key === bad); round++) expect(await turn(0, accessKey)).toBe("Echo: through 0");
    const met = sim.liveSessions.filter((entry) => entry.key === bad).length;
    expect(met).toBe(1);
    for (let round = 0; round < 3; round++) expect(await turn(1, accessKey)).toBe("Echo: through 1");
    expect(sim.liveSessions.filter((entry) => entry.key === bad)).toHaveLength(met);
    expect(sim.liveSessions.at(-1)!.key).toBe(good);
  });
});
