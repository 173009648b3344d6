/**
 * The conformance suite every Store driver must pass (unstorage's `testDriver` idea): memory,
 * better-sqlite3 and the Durable Object run exactly these tests.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AccessKeyRecord, RequestLogEntry, UsageDelta } from "../../shared/store/records.ts";
import type { Cooldown, PoolKey, Store } from "../../shared/store/store.ts";
import { updateSetting } from "../../shared/store/update.ts";

/** An access key record with defaults for the fields a test does not care about. */
function accessKey(id: string, overrides: Partial<AccessKeyRecord> = {}): AccessKeyRecord {
  return {
    id,
    hash: `hash-of-${id}`,
    name: `name ${id}`,
    hint: "sk-t…xyz",
    createdAt: 1,
    expiresAt: null,
    models: [],
    requestsPerMinute: null,
    revokedAt: null,
    ...overrides,
  };
}

/** A usage delta with zero counters unless given. */
function usage(day: string, dimensions: Partial<UsageDelta> = {}): UsageDelta {
  return {
    day,
    accessKey: "env",
    poolKey: "p1",
    model: "gemini-2.5-flash",
    requests: 1,
    errors: 0,
    promptTokens: 0,
    cachedTokens: 0,
    completionTokens: 0,
    thoughtTokens: 0,
    resumes: 0,
    ...dimensions,
  };
}

/** A request log entry at `at`. */
function logged(at: number, overrides: Partial<RequestLogEntry> = {}): RequestLogEntry {
  return {
    at,
    accessKey: "env",
    model: "gemini-2.5-flash",
    poolKey: "AIza…abc",
    relay: "direct",
    status: 200,
    latencyMs: 12,
    attempts: 1,
    resumes: 0,
    promptTokens: 3,
    completionTokens: 5,
    thoughtTokens: 0,
    ...overrides,
  };
}

/** A fresh, empty store; `reopen` closes it and opens the same data again, when it persists. */
export interface OpenedStore {
  store: Store;
  reopen?: () => Promise<Store>;
  close(): Promise<void>;
}

/** Defines the suite under `describe(name)`; `open` is called once per test. */
export function describeStoreConformance(name: string, open: () => Promise<OpenedStore>, options: { persistent: boolean } = { persistent: true }): void {
  describe(`Store conformance: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });

    afterEach(async () => {
      await opened.close();
    });

    const keysOf = async (): Promise<string[]> => (await store.listKeys()).map((key) => key.key);
    const keyNamed = async (name: string): Promise<PoolKey | undefined> =>
      (await store.listKeys()).find((key) => key.key === name);
    const sorted = (cooldowns: Cooldown[]): Cooldown[] =>
      [...cooldowns].sort((a, b) => (a.key + "\0" + a.model < b.key + "\0" + b.model ? -1 : 1));

    it("starts empty", async () => {
      expect(await store.listKeys()).toEqual([]);
      expect(await store.listCooldowns(0)).toEqual([]);
      expect(await store.snapshot(5)).toEqual({ keys: [], cooldowns: [], takenAt: 5 });
      expect(await store.getSetting("anything")).toBeNull();
    });

    describe("addKeys", () => {
      it("adds active keys with zeroed counters", async () => {
        expect(await store.addKeys(["k1", "k2"], 1000)).toEqual(["k1", "k2"]);
        expect(await store.listKeys()).toEqual([
          { key: "k1", status: "active", statusReason: null, addedAt: 1000, lastUsedAt: null, requests: 0, failures: 0, lastError: null },
          { key: "k2", status: "active", statusReason: null, addedAt: 1000, lastUsedAt: null, requests: 0, failures: 0, lastError: null },
        ]);
      });

      it("returns only the keys actually added, deduplicated, in input order", async () => {
        await store.addKeys(["b"], 1);
        expect(await store.addKeys(["c", "b", "a", "c", "a"], 2)).toEqual(["c", "a"]);
        expect(await store.addKeys(["a", "b", "c"], 3)).toEqual([]);
        expect(await store.addKeys([], 4)).toEqual([]);
        expect(await keysOf()).toEqual(["b", "c", "a"]);
        expect((await keyNamed("b"))?.addedAt).toBe(1);
      });

      it("keeps insertion order across calls and puts a re-added key last", async () => {
        await store.addKeys(["z", "y"], 1);
        await store.addKeys(["x"], 2);
        await store.removeKeys(["z"]);
        await store.addKeys(["w", "z"], 3);
        expect(await keysOf()).toEqual(["y", "x", "w", "z"]);
        expect((await keyNamed("z"))?.addedAt).toBe(3);
      });

      it("stores keys verbatim, whatever characters they hold", async () => {
        const odd = ["AIza'; DROP TABLE pool_keys; --", 'quote"d', "ключ-🔑", " spaced "];
        expect(await store.addKeys(odd, 1)).toEqual(odd);
        expect(await keysOf()).toEqual(odd);
      });

      it("does not reset an existing key's state", async () => {
        await store.addKeys(["k"], 1);
        await store.setKeyStatus("k", "disabled", "API_KEY_INVALID");
        await store.recordOutcomes([{ key: "k", at: 5, ok: false, error: "400" }]);
        await store.addKeys(["k"], 9);
        expect(await keyNamed("k")).toMatchObject({ status: "disabled", addedAt: 1, requests: 1, failures: 1 });
      });
    });

    describe("removeKeys", () => {
      it("removes keys and returns the ones that existed", async () => {
        await store.addKeys(["a", "b", "c"], 1);
        expect(await store.removeKeys(["c", "missing", "a", "a"])).toEqual(["c", "a"]);
        expect(await keysOf()).toEqual(["b"]);
        expect(await store.removeKeys(["a"])).toEqual([]);
        expect(await store.removeKeys([])).toEqual([]);
      });

      it("removes the keys' cooldowns on every model and keeps the others", async () => {
        await store.addKeys(["a", "b"], 1);
        await store.setCooldown({ key: "a", model: "gemini-2.5-pro", until: 100, reason: "429" });
        await store.setCooldown({ key: "a", model: "*", until: 100, reason: "quota" });
        await store.setCooldown({ key: "b", model: "gemini-2.5-pro", until: 100, reason: "429" });
        await store.removeKeys(["a"]);
        expect(await store.listCooldowns(0)).toEqual([{ key: "b", model: "gemini-2.5-pro", until: 100, reason: "429" }]);
        // A key added again starts without the old cooldowns.
        await store.addKeys(["a"], 2);
        expect((await store.snapshot(0)).cooldowns.map((cooldown) => cooldown.key)).toEqual(["b"]);
      });
    });

    describe("setKeyStatus", () => {
      it("disables and enables a key with its reason, leaving counters alone", async () => {
        await store.addKeys(["a", "b"], 1);
        await store.recordOutcomes([{ key: "a", at: 2, ok: true }]);
        expect(await store.setKeyStatus("a", "disabled", "API_KEY_INVALID")).toBe(true);
        expect(await keyNamed("a")).toMatchObject({ status: "disabled", statusReason: "API_KEY_INVALID", requests: 1, lastUsedAt: 2 });
        expect(await keyNamed("b")).toMatchObject({ status: "active", statusReason: null });
        expect(await store.setKeyStatus("a", "active", null)).toBe(true);
        expect(await keyNamed("a")).toMatchObject({ status: "active", statusReason: null, requests: 1 });
        expect(await keysOf()).toEqual(["a", "b"]);
      });

      it("returns false for an unknown key and adds nothing", async () => {
        expect(await store.setKeyStatus("ghost", "disabled", "x")).toBe(false);
        expect(await store.listKeys()).toEqual([]);
      });
    });

    describe("recordOutcomes", () => {
      it("counts requests and failures and tracks last use and last error", async () => {
        await store.addKeys(["a", "b"], 1);
        await store.recordOutcomes([
          { key: "a", at: 10, ok: true },
          { key: "a", at: 20, ok: false, error: "429 RESOURCE_EXHAUSTED" },
          { key: "b", at: 15, ok: true, error: null },
          { key: "a", at: 30, ok: true },
        ]);
        expect(await keyNamed("a")).toMatchObject({ requests: 3, failures: 1, lastUsedAt: 30, lastError: "429 RESOURCE_EXHAUSTED" });
        expect(await keyNamed("b")).toMatchObject({ requests: 1, failures: 0, lastUsedAt: 15, lastError: null });
      });

      it("accumulates across batches and keeps the error of the latest failure", async () => {
        await store.addKeys(["a"], 1);
        await store.recordOutcomes([{ key: "a", at: 10, ok: false, error: "first" }]);
        await store.recordOutcomes([
          { key: "a", at: 40, ok: false, error: "second" },
          { key: "a", at: 30, ok: false, error: "older, reported later" },
        ]);
        await store.recordOutcomes([{ key: "a", at: 50, ok: true }]);
        expect(await keyNamed("a")).toMatchObject({ requests: 4, failures: 3, lastUsedAt: 50, lastError: "second" });
      });

      it("is order-independent: late reports never move lastUsedAt or lastError back", async () => {
        await store.addKeys(["a"], 1);
        await store.recordOutcomes([{ key: "a", at: 100, ok: false, error: "new" }]);
        await store.recordOutcomes([{ key: "a", at: 50, ok: false, error: "old" }]);
        expect(await keyNamed("a")).toMatchObject({ requests: 2, failures: 2, lastUsedAt: 100, lastError: "new" });
      });

      it("records a failure without a description as a null lastError", async () => {
        await store.addKeys(["a"], 1);
        await store.recordOutcomes([{ key: "a", at: 5, ok: false }]);
        expect(await keyNamed("a")).toMatchObject({ requests: 1, failures: 1, lastUsedAt: 5, lastError: null });
      });

      it("ignores unknown keys and empty batches", async () => {
        await store.addKeys(["a"], 1);
        await store.recordOutcomes([]);
        await store.recordOutcomes([{ key: "ghost", at: 5, ok: false, error: "x" }, { key: "a", at: 6, ok: true }]);
        expect(await keysOf()).toEqual(["a"]);
        expect(await keyNamed("a")).toMatchObject({ requests: 1, failures: 0 });
      });

      it("applies a large batch over many keys", async () => {
        const keys = Array.from({ length: 150 }, (_, index) => `key-${index}`);
        await store.addKeys(keys, 1);
        const outcomes = Array.from({ length: 1200 }, (_, index) => ({
          key: keys[index % keys.length] as string,
          at: 1000 + index,
          ok: index % 3 !== 0,
          error: index % 3 === 0 ? `error ${index}` : null,
        }));
        await store.recordOutcomes(outcomes);
        const listed = await store.listKeys();
        expect(listed.reduce((sum, key) => sum + key.requests, 0)).toBe(1200);
        expect(listed.reduce((sum, key) => sum + key.failures, 0)).toBe(400);
        expect(listed[0]).toMatchObject({ key: "key-0", requests: 8, failures: 8, lastUsedAt: 2050, lastError: "error 1050" });
        expect(listed[1]).toMatchObject({ key: "key-1", requests: 8, failures: 0, lastUsedAt: 2051, lastError: null });
      });
    });

    describe("cooldowns", () => {
      const pro = "gemini-2.5-pro";
      const flash = "gemini-2.5-flash";

      it("lists running cooldowns and excludes expired ones (until is exclusive)", async () => {
        await store.addKeys(["a", "b"], 1);
        await store.setCooldown({ key: "a", model: pro, until: 100, reason: "429" });
        await store.setCooldown({ key: "b", model: pro, until: 200, reason: "quota" });
        expect(sorted(await store.listCooldowns(50))).toEqual([
          { key: "a", model: pro, until: 100, reason: "429" },
          { key: "b", model: pro, until: 200, reason: "quota" },
        ]);
        expect(await store.listCooldowns(100)).toEqual([{ key: "b", model: pro, until: 200, reason: "quota" }]);
        expect(await store.listCooldowns(200)).toEqual([]);
      });

      it("keeps the cooldown that ends last for the same key and model", async () => {
        await store.addKeys(["a"], 1);
        await store.setCooldown({ key: "a", model: pro, until: 100, reason: "429" });
        await store.setCooldown({ key: "a", model: pro, until: 500, reason: "daily quota" });
        expect(await store.listCooldowns(0)).toEqual([{ key: "a", model: pro, until: 500, reason: "daily quota" }]);
        // A per-minute 429 seen later (another isolate's stale pick) must not shorten a per-day cooldown.
        await store.setCooldown({ key: "a", model: pro, until: 60, reason: "retry delay" });
        expect(await store.listCooldowns(0)).toEqual([{ key: "a", model: pro, until: 500, reason: "daily quota" }]);
        expect((await store.snapshot(0)).cooldowns).toEqual([{ key: "a", model: pro, until: 500, reason: "daily quota" }]);
      });

      it("keeps models independent, with `*` as its own entry", async () => {
        await store.addKeys(["a"], 1);
        await store.setCooldown({ key: "a", model: pro, until: 100, reason: "pro" });
        await store.setCooldown({ key: "a", model: flash, until: 300, reason: "flash" });
        await store.setCooldown({ key: "a", model: "*", until: 200, reason: "all" });
        expect(sorted(await store.listCooldowns(0))).toEqual(sorted([
          { key: "a", model: pro, until: 100, reason: "pro" },
          { key: "a", model: flash, until: 300, reason: "flash" },
          { key: "a", model: "*", until: 200, reason: "all" },
        ]));
        expect(sorted(await store.listCooldowns(150))).toEqual(sorted([
          { key: "a", model: flash, until: 300, reason: "flash" },
          { key: "a", model: "*", until: 200, reason: "all" },
        ]));
      });

      it("can set a cooldown again after it expired", async () => {
        await store.addKeys(["a"], 1);
        await store.setCooldown({ key: "a", model: pro, until: 100, reason: "first" });
        expect(await store.listCooldowns(150)).toEqual([]);
        await store.setCooldown({ key: "a", model: pro, until: 300, reason: "second" });
        expect(await store.listCooldowns(150)).toEqual([{ key: "a", model: pro, until: 300, reason: "second" }]);
      });

      it("clears the cooldowns of one key", async () => {
        await store.addKeys(["a", "b"], 1);
        await store.setCooldown({ key: "a", model: pro, until: 100, reason: "x" });
        await store.setCooldown({ key: "a", model: "*", until: 100, reason: "x" });
        await store.setCooldown({ key: "b", model: pro, until: 100, reason: "y" });
        await store.clearCooldowns("a");
        expect(await store.listCooldowns(0)).toEqual([{ key: "b", model: pro, until: 100, reason: "y" }]);
        await store.clearCooldowns("missing");
        expect(await store.listCooldowns(0)).toHaveLength(1);
        expect(await keysOf()).toEqual(["a", "b"]);
      });

      it("clears the cooldowns of every key", async () => {
        await store.addKeys(["a", "b"], 1);
        await store.setCooldown({ key: "a", model: pro, until: 100, reason: "x" });
        await store.setCooldown({ key: "b", model: flash, until: 100, reason: "y" });
        await store.clearCooldowns();
        expect(await store.listCooldowns(0)).toEqual([]);
        expect(await keysOf()).toEqual(["a", "b"]);
      });

      it("does not touch key status or counters", async () => {
        await store.addKeys(["a"], 1);
        const before = await store.listKeys();
        await store.setCooldown({ key: "a", model: pro, until: 100, reason: "x" });
        await store.clearCooldowns("a");
        expect(await store.listKeys()).toEqual(before);
      });
    });

    describe("snapshot", () => {
      it("returns the keys and running cooldowns consistently with the list methods", async () => {
        await store.addKeys(["a", "b", "c"], 1);
        await store.setKeyStatus("b", "disabled", "leaked");
        await store.recordOutcomes([{ key: "a", at: 7, ok: false, error: "503" }]);
        await store.setCooldown({ key: "a", model: "gemini-2.5-pro", until: 100, reason: "429" });
        await store.setCooldown({ key: "c", model: "*", until: 40, reason: "expired soon" });
        const snapshot = await store.snapshot(50);
        expect(snapshot.takenAt).toBe(50);
        expect(snapshot.keys).toEqual(await store.listKeys());
        expect(snapshot.cooldowns).toEqual([{ key: "a", model: "gemini-2.5-pro", until: 100, reason: "429" }]);
        expect(sorted(snapshot.cooldowns)).toEqual(sorted(await store.listCooldowns(50)));
      });

      it("is a copy: changing it or later writes do not affect it or the store", async () => {
        await store.addKeys(["a"], 1);
        await store.setCooldown({ key: "a", model: "m", until: 100, reason: "x" });
        const snapshot = await store.snapshot(0);
        const first = snapshot.keys[0] as PoolKey;
        first.requests = 99;
        first.status = "disabled";
        (snapshot.cooldowns[0] as Cooldown).until = 1;
        await store.addKeys(["b"], 2);
        expect(snapshot.keys.map((key) => key.key)).toEqual(["a"]);
        expect(await keyNamed("a")).toMatchObject({ requests: 0, status: "active" });
        expect(await store.listCooldowns(0)).toEqual([{ key: "a", model: "m", until: 100, reason: "x" }]);
      });
    });

    describe("settings", () => {
      it("stores, overwrites and keeps names independent", async () => {
        expect(await store.getSetting("a")).toBeNull();
        await store.setSetting("a", "1");
        await store.setSetting("b", "");
        expect(await store.getSetting("a")).toBe("1");
        expect(await store.getSetting("b")).toBe("");
        await store.setSetting("a", "två ✓");
        expect(await store.getSetting("a")).toBe("två ✓");
        expect(await store.getSetting("b")).toBe("");
        expect(await store.getSetting("A")).toBeNull();
      });

      it("holds long values", async () => {
        const value = JSON.stringify({ list: Array.from({ length: 2000 }, (_, index) => `entry-${index}`) });
        await store.setSetting("big", value);
        expect(await store.getSetting("big")).toBe(value);
      });
    });

    describe("setKeysStatus", () => {
      it("sets many keys at once and returns those that exist, once each", async () => {
        await store.addKeys(["a", "b", "c"], 1);
        await store.recordOutcomes([{ key: "b", at: 3, ok: true }]);
        expect(await store.setKeysStatus(["c", "ghost", "b", "c"], "disabled", "API_KEY_INVALID")).toEqual(["c", "b"]);
        expect((await store.listKeys()).map((key) => [key.key, key.status, key.statusReason])).toEqual([
          ["a", "active", null],
          ["b", "disabled", "API_KEY_INVALID"],
          ["c", "disabled", "API_KEY_INVALID"],
        ]);
        expect(await store.setKeysStatus(["a", "b", "c"], "active", null)).toEqual(["a", "b", "c"]);
        expect(await keyNamed("b")).toMatchObject({ status: "active", statusReason: null, requests: 1 });
        expect(await store.setKeysStatus([], "disabled", "x")).toEqual([]);
      });
    });

    describe("replaceKey", () => {
      it("renames a key in place with its state and cooldowns", async () => {
        await store.addKeys(["a", "b", "c"], 1);
        await store.setKeyStatus("b", "disabled", "leaked");
        await store.recordOutcomes([{ key: "b", at: 9, ok: false, error: "403" }]);
        await store.setCooldown({ key: "b", model: "m", until: 100, reason: "429" });
        expect(await store.replaceKey("b", "B")).toBe(true);
        expect(await keysOf()).toEqual(["a", "B", "c"]);
        expect(await keyNamed("B")).toMatchObject({ status: "disabled", statusReason: "leaked", requests: 1, failures: 1, lastError: "403", addedAt: 1 });
        expect(await store.listCooldowns(0)).toEqual([{ key: "B", model: "m", until: 100, reason: "429" }]);
        // Later outcomes still keep the older error out (the failure time moved along).
        await store.recordOutcomes([{ key: "B", at: 5, ok: false, error: "older" }]);
        expect((await keyNamed("B"))?.lastError).toBe("403");
        // New keys still go last.
        await store.addKeys(["d"], 2);
        expect(await keysOf()).toEqual(["a", "B", "c", "d"]);
      });

      it("only removes the old key when the new name exists, and refuses unknown keys", async () => {
        await store.addKeys(["a", "b"], 1);
        await store.setCooldown({ key: "a", model: "m", until: 100, reason: "x" });
        expect(await store.replaceKey("a", "b")).toBe(true);
        expect(await keysOf()).toEqual(["b"]);
        expect(await store.listCooldowns(0)).toEqual([]);
        expect(await store.replaceKey("ghost", "z")).toBe(false);
        expect(await keysOf()).toEqual(["b"]);
        expect(await store.replaceKey("b", "b")).toBe(true);
      });
    });

    describe("setSettingIfAbsent", () => {
      it("keeps the first value written", async () => {
        expect(await store.setSettingIfAbsent("secret", "first")).toBe("first");
        expect(await store.setSettingIfAbsent("secret", "second")).toBe("first");
        expect(await store.getSetting("secret")).toBe("first");
        await store.setSetting("other", "x");
        expect(await store.setSettingIfAbsent("other", "y")).toBe("x");
      });
    });

    describe("compareAndSetSetting", () => {
      it("writes only over the expected value, null meaning absent", async () => {
        expect(await store.compareAndSetSetting("doc", "something", "x")).toBe(false);
        expect(await store.getSetting("doc")).toBeNull();
        expect(await store.compareAndSetSetting("doc", null, "v1")).toBe(true);
        expect(await store.compareAndSetSetting("doc", null, "v2")).toBe(false);
        expect(await store.compareAndSetSetting("doc", "v0", "v2")).toBe(false);
        expect(await store.getSetting("doc")).toBe("v1");
        expect(await store.compareAndSetSetting("doc", "v1", "")).toBe(true);
        expect(await store.getSetting("doc")).toBe("");
        // An empty value is a value: it is not "absent".
        expect(await store.compareAndSetSetting("doc", null, "v3")).toBe(false);
        expect(await store.compareAndSetSetting("doc", "", "v3")).toBe(true);
        expect(await store.getSetting("doc")).toBe("v3");
        expect(await store.getSetting("other")).toBeNull();
      });

      it("keeps every one of 50 concurrent read-modify-write patches", async () => {
        // Each patch adds its own entry to one JSON document, as PATCH /api/keys/metadata does.
        const patch = (index: number) =>
          updateSetting(store, "table", (text) => JSON.stringify({ ...(text ? (JSON.parse(text) as Record<string, number>) : {}), [`entry-${index}`]: index }));
        await Promise.all(Array.from({ length: 50 }, (_, index) => patch(index)));
        const table = JSON.parse((await store.getSetting("table")) ?? "{}") as Record<string, number>;
        expect(Object.keys(table).sort()).toEqual(Array.from({ length: 50 }, (_, index) => `entry-${index}`).sort());
      });
    });

    describe("restore", () => {
      it("adds missing keys with their status, access keys, settings and usage in one call", async () => {
        await store.addKeys(["kept"], 1);
        await store.setKeyStatus("kept", "disabled", "mine");
        await store.addAccessKey(accessKey("k1"));
        await store.setSetting("policy.models", "old");
        await store.recordUsage({ daily: [usage("2026-11-01", { requests: 2 })], requests: [] });
        const outcome = await store.restore({
          at: 9,
          keys: [
            { key: "kept", status: "active", statusReason: null },
            { key: "new-active", status: "active", statusReason: null },
            { key: "new-disabled", status: "disabled", statusReason: "API_KEY_INVALID" },
          ],
          accessKeys: [accessKey("k1", { name: "taken id" }), accessKey("k2", { createdAt: 5, revokedAt: 7 }), accessKey("k3", { hash: "hash-of-k1" })],
          settings: { "policy.models": "new", "keys.metadata": "{}" },
          usage: [usage("2026-11-01", { requests: 3 }), usage("2026-11-02")],
        });
        expect(outcome).toEqual({ keysAdded: ["new-active", "new-disabled"], accessKeysAdded: 1 });
        expect((await store.listKeys()).map((key) => [key.key, key.status, key.statusReason, key.addedAt])).toEqual([
          ["kept", "disabled", "mine", 1],
          ["new-active", "active", null, 9],
          ["new-disabled", "disabled", "API_KEY_INVALID", 9],
        ]);
        expect(await store.listAccessKeys()).toEqual([accessKey("k1"), accessKey("k2", { createdAt: 5, revokedAt: 7 })]);
        expect(await store.getSetting("policy.models")).toBe("new");
        expect(await store.getSetting("keys.metadata")).toBe("{}");
        expect(await store.listUsage("2026-11-01", "2026-11-02")).toEqual([usage("2026-11-01", { requests: 5 }), usage("2026-11-02")]);
      });

      it("restores an empty batch as a no-op", async () => {
        expect(await store.restore({ at: 1, keys: [], accessKeys: [], settings: {}, usage: [] })).toEqual({ keysAdded: [], accessKeysAdded: 0 });
        expect(await store.listKeys()).toEqual([]);
      });
    });

    describe("access keys", () => {
      it("adds, lists oldest first and refuses a taken id or hash", async () => {
        expect(await store.listAccessKeys()).toEqual([]);
        const second = accessKey("k2", { createdAt: 20, models: ["gemini-2.5-flash", "gemini-2.5-*"], requestsPerMinute: 30, expiresAt: 99 });
        const first = accessKey("k1", { createdAt: 10 });
        expect(await store.addAccessKey(second)).toBe(true);
        expect(await store.addAccessKey(first)).toBe(true);
        expect(await store.addAccessKey(accessKey("k1", { hash: "other" }))).toBe(false);
        expect(await store.addAccessKey(accessKey("k3", { hash: "hash-of-k2" }))).toBe(false);
        expect(await store.listAccessKeys()).toEqual([first, second]);
      });

      it("revokes once and keeps the record", async () => {
        await store.addAccessKey(accessKey("k1"));
        expect(await store.revokeAccessKey("k1", 50)).toBe(true);
        expect(await store.revokeAccessKey("k1", 60)).toBe(false);
        expect(await store.revokeAccessKey("ghost", 60)).toBe(false);
        expect(await store.listAccessKeys()).toEqual([accessKey("k1", { revokedAt: 50 })]);
      });

      it("returns copies", async () => {
        await store.addAccessKey(accessKey("k1", { models: ["a"] }));
        const [listed] = await store.listAccessKeys();
        listed!.models.push("b");
        listed!.name = "changed";
        expect(await store.listAccessKeys()).toEqual([accessKey("k1", { models: ["a"] })]);
      });
    });

    describe("resources", () => {
      const record = (name: string, expiresAt: number, keyId = "k1", target: string | null = null) => ({ name, keyId, target, expiresAt });

      it("records, replaces, reads and deletes which key holds a resource", async () => {
        await store.putResource(record("files/a", 1000), { now: 0, cap: 10 });
        await store.putResource(record("upload-sessions/x", 1000, "k2", "/upload/v1beta/files?upload_id=g"), { now: 0, cap: 10 });
        expect(await store.getResource("files/a", 10)).toEqual(record("files/a", 1000));
        expect(await store.getResource("upload-sessions/x", 10)).toEqual(record("upload-sessions/x", 1000, "k2", "/upload/v1beta/files?upload_id=g"));
        await store.putResource(record("files/a", 2000, "k3"), { now: 0, cap: 10 });
        expect(await store.getResource("files/a", 1500)).toEqual(record("files/a", 2000, "k3"));
        expect(await store.getResource("files/missing", 10)).toBeNull();
        expect(await store.deleteResource("files/a")).toBe(true);
        expect(await store.deleteResource("files/a")).toBe(false);
        expect(await store.getResource("files/a", 10)).toBeNull();
      });

      it("hides expired records and drops them on the next write", async () => {
        await store.putResource(record("files/old", 100), { now: 0, cap: 10 });
        expect(await store.getResource("files/old", 100)).toBeNull();
        expect(await store.getResource("files/old", 99)).toEqual(record("files/old", 100));
        await store.putResource(record("files/new", 1000), { now: 200, cap: 10 });
        expect(await store.getResource("files/old", 0)).toBeNull();
      });

      it("keeps at most the cap, dropping the records that expire soonest", async () => {
        for (const [index, name] of ["files/c", "files/a", "files/b"].entries()) await store.putResource(record(name, 1000 + index), { now: 0, cap: 2 });
        expect(await store.getResource("files/c", 0)).toBeNull();
        expect(await store.getResource("files/a", 0)).toEqual(record("files/a", 1001));
        expect(await store.getResource("files/b", 0)).toEqual(record("files/b", 1002));
      });
    });

    describe("usage", () => {
      it("sums deltas per day and dimensions, and lists a day range in order", async () => {
        await store.recordUsage({
          daily: [
            usage("2026-11-02", { requests: 2, promptTokens: 10, cachedTokens: 4, completionTokens: 20, thoughtTokens: 5 }),
            usage("2026-11-01", { model: "gemini-2.5-pro", errors: 1 }),
            usage("2026-11-02", { requests: 1, errors: 1, promptTokens: 1, cachedTokens: 1, completionTokens: 2, thoughtTokens: 3, resumes: 1 }),
            usage("2026-11-02", { accessKey: "ak1" }),
          ],
          requests: [],
        });
        await store.recordUsage({ daily: [usage("2026-11-03", { poolKey: "" })], requests: [] });
        expect(await store.listUsage("2026-11-02", "2026-11-03")).toEqual([
          usage("2026-11-02", { accessKey: "ak1" }),
          usage("2026-11-02", { requests: 3, errors: 1, promptTokens: 11, cachedTokens: 5, completionTokens: 22, thoughtTokens: 8, resumes: 1 }),
          usage("2026-11-03", { poolKey: "" }),
        ]);
        expect(await store.listUsage("2026-11-01", "2026-11-01")).toEqual([usage("2026-11-01", { model: "gemini-2.5-pro", errors: 1 })]);
        expect(await store.listUsage("2026-12-01", "2026-12-31")).toEqual([]);
      });

      it("keeps a request log, newest first, paged by id", async () => {
        await store.recordUsage({ daily: [], requests: [logged(1), logged(2, { status: 429, model: "m" })] });
        await store.recordUsage({ daily: [], requests: [logged(3, { resumes: 2, attempts: 3 })] });
        const all = await store.listRequests({ limit: 10 });
        expect(all.map((entry) => entry.at)).toEqual([3, 2, 1]);
        expect(all[0]).toEqual({ ...logged(3, { resumes: 2, attempts: 3 }), id: all[0]!.id });
        expect(all[0]!.id).toBeGreaterThan(all[1]!.id);
        expect(all[1]!.id).toBeGreaterThan(all[2]!.id);
        expect((await store.listRequests({ limit: 1 })).map((entry) => entry.at)).toEqual([3]);
        expect((await store.listRequests({ limit: 5, before: all[0]!.id })).map((entry) => entry.at)).toEqual([2, 1]);
        expect(await store.listRequests({ limit: 0 })).toEqual([]);
      });

      it("prunes old days and old or surplus log entries", async () => {
        const day = Date.parse("2026-11-10T00:00:00Z");
        await store.recordUsage({
          daily: [usage("2026-11-09"), usage("2026-11-10"), usage("2026-11-11")],
          requests: [logged(day - 1), logged(day), logged(day + 1), logged(day + 2)],
        });
        await store.pruneUsage({ beforeDay: "2026-11-10", maxRequests: 2 });
        expect((await store.listUsage("2026-01-01", "2026-12-31")).map((row) => row.day)).toEqual(["2026-11-10", "2026-11-11"]);
        expect((await store.listRequests({ limit: 10 })).map((entry) => entry.at)).toEqual([day + 2, day + 1]);
        await store.pruneUsage({ beforeDay: "2026-11-10", maxRequests: 0 });
        expect(await store.listRequests({ limit: 10 })).toEqual([]);
        // New entries still get increasing ids after a trim.
        await store.recordUsage({ daily: [], requests: [logged(day + 3), logged(day + 4)] });
        const [newest, older] = await store.listRequests({ limit: 10 });
        expect(newest!.id).toBeGreaterThan(older!.id);
      });
    });

    // A memory store has nothing to reopen: the persistence test exists only for persistent drivers.
    if (options.persistent) it("keeps everything across a reopen", async () => {
      if (!opened.reopen) throw new Error(`${name} is declared persistent but offers no reopen()`);
      await store.addKeys(["a", "b", "c"], 1);
      await store.removeKeys(["b"]);
      await store.addKeys(["b"], 2);
      await store.setKeyStatus("c", "disabled", "SERVICE_DISABLED");
      await store.recordOutcomes([
        { key: "a", at: 10, ok: false, error: "later" },
        { key: "a", at: 5, ok: true },
      ]);
      await store.setCooldown({ key: "a", model: "gemini-2.5-pro", until: 1000, reason: "429" });
      await store.setCooldown({ key: "b", model: "*", until: 1000, reason: "quota" });
      await store.setSetting("admin_key_hash", "abc");
      await store.addAccessKey(accessKey("k1", { models: ["m"] }));
      await store.recordUsage({ daily: [usage("2026-11-01", { promptTokens: 4, cachedTokens: 3 })], requests: [logged(7)] });
      await store.putResource({ name: "cachedContents/c", keyId: "k9", target: null, expiresAt: 5000 }, { now: 0, cap: 10 });
      const before = await store.snapshot(100);

      store = await opened.reopen();
      expect(await store.snapshot(100)).toEqual(before);
      expect(await keysOf()).toEqual(["a", "c", "b"]);
      expect(await store.getSetting("admin_key_hash")).toBe("abc");
      expect(await store.listAccessKeys()).toEqual([accessKey("k1", { models: ["m"] })]);
      expect(await store.listUsage("2026-11-01", "2026-11-01")).toEqual([usage("2026-11-01", { promptTokens: 4, cachedTokens: 3 })]);
      expect((await store.listRequests({ limit: 5 })).map((entry) => entry.at)).toEqual([7]);
      expect(await store.getResource("cachedContents/c", 100)).toEqual({ name: "cachedContents/c", keyId: "k9", target: null, expiresAt: 5000 });
      // Order-independence survives the reopen: an older failure still does not win.
      await store.recordOutcomes([{ key: "a", at: 8, ok: false, error: "earlier" }]);
      expect(await keyNamed("a")).toMatchObject({ requests: 3, failures: 2, lastError: "later" });
      // New keys still go last.
      await store.addKeys(["d"], 3);
      expect(await keysOf()).toEqual(["a", "c", "b", "d"]);
    });
  });
}
