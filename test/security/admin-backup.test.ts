/**
 * Issue #14, finding 13 (backup passphrase behind one fixed-salt HKDF): new backups (version 2)
 * derive the key with PBKDF2-SHA-256, 600,000 iterations and a random salt stored in the file;
 * version-1 backups written by the old code (test/fixtures/backup/v1-encrypted.json) still
 * restore. On the self-host bundle and the worker bundle under workerd (whose Web Crypto caps one
 * PBKDF2 call at 100,000 iterations).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryRoot } from "../../deploy/targets.ts";
import type { Target } from "../helpers/targets.ts";
import { adminKey, adminTargets } from "./admin-targets.ts";

const fixture = readFileSync(join(repositoryRoot, "test/fixtures/backup/v1-encrypted.json"), "utf8");
const fixturePassphrase = "fixture passphrase v1 0123";
const fixtureKeyIds = ["131ea9fcb127cfdd", "86f2fba7ac274368"];
const passphrase = "a long passphrase for security tests";

interface BackupDocument {
  version: number;
  kdf?: { name: string; iterations: number; link: number; salt: string };
  keys: { id: string; key?: string }[];
}

describe.each(adminTargets)("backup passphrase KDF on the %s", (_name, start) => {
  let target: Target;
  const admin = (path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${target.url}${path}`, { method: init.method ?? "GET", headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json", ...init.headers }, ...(init.body ? { body: init.body } : {}) });
  const restore = (body: string, secret: string) => admin("/api/restore", { method: "POST", body, headers: { "x-backup-passphrase": secret } });

  beforeAll(async () => {
    target = await start({});
  });
  afterAll(async () => {
    await target?.stop();
  });

  it("restores a version-1 backup written by the old code (and refuses it with a wrong passphrase)", async () => {
    expect((await restore(fixture, "not the fixture passphrase")).status).toBe(400);
    const answer = await restore(fixture, fixturePassphrase);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ ok: true, keysAdded: 2, accessKeysAdded: 1, settings: ["policy.models"], usageRows: 1 });
    const keys = (await (await admin("/api/keys")).json()) as { keys: { id: string }[] };
    expect(keys.keys.map((key) => key.id).sort()).toEqual(fixtureKeyIds);
  });

  it("writes version 2 with PBKDF2-SHA-256, 600,000 iterations and a fresh random salt per backup", async () => {
    const take = async () => {
      const answer = await admin("/api/backup?keys=encrypted", { headers: { "x-backup-passphrase": passphrase } });
      expect(answer.status).toBe(200);
      return (await answer.json()) as BackupDocument;
    };
    const [first, second] = [await take(), await take()];
    expect(first.version).toBe(2);
    expect(first.kdf).toMatchObject({ name: "PBKDF2-SHA-256", iterations: 600_000, link: 100_000 });
    expect(Buffer.from(first.kdf!.salt, "base64url").length).toBeGreaterThanOrEqual(16);
    expect(second.kdf!.salt).not.toBe(first.kdf!.salt);
    // Same keys, same passphrase, different salt: different ciphertexts.
    expect(second.keys.map((key) => key.key)).not.toEqual(first.keys.map((key) => key.key));
    expect(first.keys.every((key) => key.key?.startsWith("enc1."))).toBe(true);
    // Plain and masked backups carry no KDF.
    expect(((await (await admin("/api/backup?keys=masked")).json()) as BackupDocument).kdf).toBeUndefined();

    const text = JSON.stringify(first);
    expect((await restore(text, "not the right passphrase")).status).toBe(400);
    expect(await (await restore(text, passphrase)).json()).toMatchObject({ ok: true, keysAdded: 0, keysSkipped: 2 });
  });

  it("refuses KDF parameters a crafted file could use to burn CPU or skip the work, and an altered salt", async () => {
    const backup = (await (await admin("/api/backup?keys=encrypted", { headers: { "x-backup-passphrase": passphrase } })).json()) as BackupDocument;
    const variants: [string, unknown][] = [
      ["iterations", { ...backup.kdf, iterations: 1_000_000_000 }],
      ["iterations", { ...backup.kdf, iterations: 1 }],
      ["iterations", { ...backup.kdf, iterations: 650_000 }],
      ["link", { ...backup.kdf, link: 1 }],
      ["name", { ...backup.kdf, name: "HKDF" }],
      ["salt", { ...backup.kdf, salt: "short" }],
    ];
    for (const [field, kdf] of variants) {
      const answer = await restore(JSON.stringify({ ...backup, kdf }), passphrase);
      expect(answer.status, field).toBe(400);
      expect(((await answer.json()) as { error: { message: string } }).error.message, field).toContain(`kdf.${field}`);
    }
    const { kdf: _dropped, ...withoutKdf } = backup;
    expect((await restore(JSON.stringify(withoutKdf), passphrase)).status).toBe(400);
    const salt = backup.kdf!.salt;
    const altered = { ...backup, kdf: { ...backup.kdf, salt: `${salt.slice(0, -2)}${salt.endsWith("AA") ? "BB" : "AA"}` } };
    expect((await restore(JSON.stringify(altered), passphrase)).status).toBe(400);
  });
});
