/**
 * ENCRYPTION_KEY: the sealing decorator passes the whole conformance suite over the memory and
 * better-sqlite3 drivers, keeps only ciphertext in the wrapped Store, and never hands out keys
 * it cannot open.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../relays/node/sqlite-store.ts";
import { KeySealer, isSealed } from "../../shared/keys/sealing.ts";
import { MemoryStore } from "../../shared/store/memory.ts";
import { openSealedStore, unreadableReason } from "../../shared/store/sealed.ts";
import { describeStoreConformance } from "./conformance.ts";

const encryptionKey = "test-encryption-key-0123456789abcdef";
const directories: string[] = [];

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describeStoreConformance(
  "memory sealed with ENCRYPTION_KEY",
  async () => ({ store: await openSealedStore(new MemoryStore(), encryptionKey), close: async () => {} }),
  { persistent: false },
);

describeStoreConformance("better-sqlite3 sealed with ENCRYPTION_KEY", async () => {
  const directory = mkdtempSync(join(tmpdir(), "gemrelay-sealed-"));
  directories.push(directory);
  const file = join(directory, "gemrelay.sqlite");
  let handle = openSqliteStore(file);
  return {
    store: await openSealedStore(handle.store, encryptionKey),
    reopen: async () => {
      handle.close();
      handle = openSqliteStore(file);
      return openSealedStore(handle.store, encryptionKey);
    },
    close: async () => handle.close(),
  };
});

describe("KeySealer", () => {
  it("seals deterministically, opens again, and refuses another ENCRYPTION_KEY or altered text", async () => {
    const sealer = await KeySealer.fromSecret(encryptionKey);
    const key = "AIzaSyTest-key-that-is-not-real-00000";
    const sealed = await sealer.seal(key);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain(key);
    expect(await sealer.seal(key)).toBe(sealed);
    expect(await sealer.seal(key + "x")).not.toBe(sealed);
    expect(await sealer.open(sealed)).toBe(key);
    await expect((await KeySealer.fromSecret("another-key-0123456789abcdef")).open(sealed)).rejects.toThrow();
    const altered = sealed.slice(0, -2) + (sealed.endsWith("AA") ? "BB" : "AA");
    await expect(sealer.open(altered)).rejects.toThrow();
  });
});

describe("SealedStore", () => {
  const key = "AIzaSyTest-key-that-is-not-real-11111";

  it("keeps only sealed keys in the wrapped store, cooldowns and outcomes included", async () => {
    const inner = new MemoryStore();
    const store = await openSealedStore(inner, encryptionKey);
    await store.addKeys([key], 1);
    await store.setCooldown({ key, model: "m", until: 100, reason: "429" });
    await store.recordOutcomes([{ key, at: 2, ok: false, error: "x" }]);
    const stored = JSON.stringify([await inner.listKeys(), await inner.listCooldowns(0)]);
    expect(stored).not.toContain(key);
    expect((await inner.listKeys())[0]!.key.startsWith("enc1.")).toBe(true);
    expect((await store.snapshot(0)).keys[0]).toMatchObject({ key, requests: 1, failures: 1 });
    expect((await store.snapshot(0)).cooldowns).toEqual([{ key, model: "m", until: 100, reason: "429" }]);
  });

  it("seals keys stored in clear before ENCRYPTION_KEY was set, keeping their state", async () => {
    const inner = new MemoryStore();
    await inner.addKeys([key, "AIzaSyTest-key-that-is-not-real-22222"], 1);
    await inner.setKeyStatus(key, "disabled", "leaked");
    const store = await openSealedStore(inner, encryptionKey);
    expect((await inner.listKeys()).every((entry) => isSealed(entry.key))).toBe(true);
    expect((await store.listKeys()).map((entry) => [entry.key, entry.status])).toEqual([
      [key, "disabled"],
      ["AIzaSyTest-key-that-is-not-real-22222", "active"],
    ]);
  });

  it("lists keys sealed with another ENCRYPTION_KEY (or none) as disabled, and lets an admin remove them", async () => {
    const inner = new MemoryStore();
    await (await openSealedStore(inner, encryptionKey)).addKeys([key], 1);
    for (const other of [undefined, "a-different-encryption-key-0000"]) {
      const store = await openSealedStore(inner, other);
      const [listed] = await store.listKeys();
      expect(listed).toMatchObject({ status: "disabled", statusReason: unreadableReason });
      expect(isSealed(listed!.key)).toBe(true);
    }
    const store = await openSealedStore(inner, undefined);
    const [listed] = await store.listKeys();
    expect(await store.removeKeys([listed!.key])).toEqual([listed!.key]);
    expect(await inner.listKeys()).toEqual([]);
  });

  it("writes no clear key into the SQLite file", async () => {
    const directory = mkdtempSync(join(tmpdir(), "gemrelay-sealed-"));
    directories.push(directory);
    const handle = openSqliteStore(join(directory, "state.sqlite"));
    const store = await openSealedStore(handle.store, encryptionKey);
    await store.addKeys([key], 1);
    await store.setCooldown({ key, model: "m", until: Date.now() + 60_000, reason: "429" });
    handle.close();
    for (const file of readdirSync(directory)) expect(readFileSync(join(directory, file)).includes(key)).toBe(false);
  });
});
