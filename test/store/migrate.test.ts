/** `gemrelay migrate`: a SQLite state copied into Redis reads back the same through the Store interface. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../../relays/node/redis-store.ts";
import { openSqliteStore } from "../../relays/node/sqlite-store.ts";
import { temporaryDirectory } from "../helpers/process.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";

describe("gemrelay migrate (SQLite → Redis)", () => {
  let server: RedisServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  const migrate = (file: string, prefix: string) =>
    spawnSync(process.execPath, ["deploy/bin/gemrelay.js", "migrate", "--from", file, "--to", server.url, "--prefix", prefix], { encoding: "utf8" });

  it("copies keys, counters, cooldowns, access keys, settings, usage, the request log and resource records", async () => {
    const file = join(temporaryDirectory(), "gemrelay.sqlite");
    const source = openSqliteStore(file);
    const store = source.store;
    const until = Date.now() + 3_600_000;
    await store.addKeys(["k1", "k2", "k3"], 1_000);
    await store.setKeyStatus("k2", "disabled", "API_KEY_INVALID");
    await store.recordOutcomes([
      { key: "k1", at: 2_000, ok: true },
      { key: "k1", at: 3_000, ok: false, error: "key-cooldown: 429" },
      { key: "k3", at: 2_500, ok: true },
    ]);
    await store.setCooldown({ key: "k1", model: "gemini-2.5-pro", until, reason: "429" });
    await store.setCooldown({ key: "k3", model: "*", until: 5, reason: "long over" });
    await store.setSetting("admin_session_secret", "s3cret");
    await store.addAccessKey({ id: "ak1", hash: "h1", name: "team", hint: "sk-…1", createdAt: 10, expiresAt: null, models: ["gemini-*"], requestsPerMinute: 5, revokedAt: null });
    const day = { accessKey: "ak1", poolKey: "p1", model: "gemini-2.5-flash", requests: 2, errors: 1, promptTokens: 3, cachedTokens: 2, completionTokens: 4, thoughtTokens: 5, resumes: 1 };
    const entry = { accessKey: "ak1", model: "m", poolKey: "AIza…1", relay: "direct", status: 200, latencyMs: 9, attempts: 1, resumes: 0, promptTokens: 1, completionTokens: 2, thoughtTokens: 0 };
    await store.recordUsage({ daily: [{ day: "2026-11-20", ...day }], requests: [{ at: 1, ...entry }, { at: 2, ...entry, status: 429 }] });
    // Which key holds a file, a cache, a batch, an upload session, a Live token; an expired one stays behind.
    const held = [
      { name: "files/abc", keyId: "id-k1", target: null, expiresAt: until },
      { name: "cachedContents/c1", keyId: "id-k3", target: null, expiresAt: until },
      { name: "batches/b1", keyId: "id-k1", target: null, expiresAt: until },
      { name: "upload-sessions/0123abcd", keyId: "id-k3", target: "/upload/v1beta/files?upload_id=g1", expiresAt: until },
      { name: "live-tokens/4567cdef", keyId: "id-k1", target: "access-key:ak1", expiresAt: until },
    ];
    for (const record of held) await store.putResource(record, { now: 0, cap: 100 });
    await store.putResource({ name: "files/gone", keyId: "id-k1", target: null, expiresAt: 5 }, { now: 0, cap: 100 });
    const expected = { keys: await store.listKeys(), cooldowns: await store.listCooldowns(Date.now()), access: await store.listAccessKeys(), usage: await store.listUsage("2026-01-01", "2026-12-31") };
    const log = (await store.listRequests({ limit: 10 })).map(({ id: _id, ...rest }) => rest);
    source.close();

    const result = migrate(file, "migrated");
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("3 pool keys, 1 cooldowns, 1 access keys, 1 settings, 1 usage rows, 2 logged requests, 5 resource records");
    const target = new RedisStore(redis, { prefix: "migrated" });
    expect(await target.listKeys()).toEqual(expected.keys);
    expect(await target.listCooldowns(Date.now())).toEqual(expected.cooldowns);
    expect(await target.listAccessKeys()).toEqual(expected.access);
    expect(await target.listUsage("2026-01-01", "2026-12-31")).toEqual(expected.usage);
    expect((await target.listRequests({ limit: 10 })).map(({ id: _id, ...rest }) => rest)).toEqual(log);
    expect(await target.getSetting("admin_session_secret")).toBe("s3cret");
    for (const record of held) expect(await target.getResource(record.name, Date.now())).toEqual(record);
    expect(await target.getResource("files/gone", 0)).toBeNull();

    // A second run would double the counters: refused.
    const again = migrate(file, "migrated");
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("already holds pool keys");
  });
});
