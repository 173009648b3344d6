/**
 * Issue 9, backup and restore: a backup taken from the self-host bundle restores into the worker
 * bundle under workerd, where the same pool keys, policy and access keys work.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { temporaryDirectory } from "../helpers/process.ts";
import { GeminiSimulator } from "../sim/index.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";

const adminKey = "admin-backup-0123456789";
const passphrase = "correct horse battery staple";
const [selfHost, worker] = [resumeWorkerTargets[0]![1], resumeWorkerTargets[1]![1]];

describe("backup from the self-host, restore into the worker under workerd", () => {
  let sim: GeminiSimulator;
  let source: Target;
  let destination: Target;
  let keys: string[];

  const admin = (target: Target, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    fetch(`${target.url}${path}`, {
      method: init.method ?? "GET",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json", ...init.headers },
      ...(init.body !== undefined ? { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) } : {}),
    });

  beforeAll(async () => {
    sim = await GeminiSimulator.start({ chunkChars: 64 });
    keys = sim.createKeys(2);
    const base = { ADMIN_KEY: adminKey, GEMINI_UPSTREAM: sim.url, USAGE_FLUSH_MS: "50" };
    [source, destination] = await Promise.all([
      selfHost({ ...base, AUTH_KEY: "sk-backup-source-0123456789", GEMINI_API_KEYS: keys.join(",") }),
      worker({ ...base, AUTH_KEY: "sk-backup-destination-0123456789" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
    await sim?.close();
  });

  it("carries keys, access keys and policy across platforms", async () => {
    const created = await admin(source, "/api/access-keys", { method: "POST", body: { name: "team" } });
    expect(created.status).toBe(201);
    const { secret } = (await created.json()) as { secret: string };
    expect((await admin(source, "/api/policy/models", { method: "PUT", body: { aliases: { house: "gemini-2.5-flash-lite" }, disabled: ["gemini-2.5-pro"] } })).status).toBe(200);
    expect((await admin(source, "/api/policy/budgets", { method: "PUT", body: { enabled: true, limits: { "gemini-2.5-flash-lite": { rpm: 50 } } } })).status).toBe(200);

    const masked = await (await admin(source, "/api/backup?keys=masked")).text();
    for (const key of keys) expect(masked).not.toContain(key);
    expect((await admin(source, "/api/backup?keys=encrypted")).status).toBe(400);
    const response = await admin(source, "/api/backup?keys=encrypted", { headers: { "x-backup-passphrase": passphrase } });
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const key of keys) expect(text).not.toContain(key);
    const backup = JSON.parse(text) as { format: string; version: number; platform: string; keys: unknown[]; accessKeys: unknown[]; settings: Record<string, string> };
    expect(backup).toMatchObject({ format: "gemrelay-backup", version: 2, platform: "node" });
    expect(backup.keys).toHaveLength(2);
    expect(backup.accessKeys).toHaveLength(1);
    expect(Object.keys(backup.settings).sort()).toEqual(["policy.budgets", "policy.models"]);

    const wrong = await admin(destination, "/api/restore", { method: "POST", body: text, headers: { "x-backup-passphrase": "not the right passphrase" } });
    expect(wrong.status).toBe(400);
    const restored = await admin(destination, "/api/restore", { method: "POST", body: text, headers: { "x-backup-passphrase": passphrase } });
    expect(restored.status).toBe(200);
    expect(await restored.json()).toMatchObject({ ok: true, keysAdded: 2, accessKeysAdded: 1, settings: ["policy.models", "policy.budgets"] });

    sim.reset();
    const answer = await fetch(`${destination.url}/v1beta/models/house:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": secret },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "restored?" }] }] }),
    });
    expect(answer.status).toBe(200);
    expect(sim.requests[0]).toMatchObject({ model: "gemini-2.5-flash-lite" });
    expect(keys).toContain(sim.requests[0]!.key);
    const disabled = await fetch(`${destination.url}/v1beta/models/gemini-2.5-pro:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": secret },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "x" }] }] }),
    });
    expect(disabled.status).toBe(404);
    const budgets = (await (await admin(destination, "/api/policy/budgets")).json()) as { policy: { enabled: boolean } };
    expect(budgets.policy.enabled).toBe(true);

    // And back: the worker's backup restores into the self-host (nothing new to add there).
    const back = await (await admin(destination, "/api/backup?keys=plain")).text();
    expect(JSON.parse(back)).toMatchObject({ platform: "cloudflare", keyMode: "plain" });
    expect(await (await admin(source, "/api/restore?usage=skip", { method: "POST", body: back })).json()).toMatchObject({ keysAdded: 0, keysSkipped: 2, accessKeysAdded: 0 });
  });

  it("backs up and restores with npx gemrelay backup|restore", async () => {
    const file = join(temporaryDirectory(), "backup.json");
    const cli = (...args: string[]) => promisify(execFile)(process.execPath, ["deploy/bin/gemrelay.js", ...args], { env: { ...process.env, ADMIN_KEY: adminKey, GEMRELAY_BACKUP_PASSPHRASE: passphrase } });
    await cli("backup", "--url", source.url, "--out", file);
    const backup = JSON.parse(await readFile(file, "utf8")) as { keyMode: string; keys: { key: string }[] };
    expect(backup.keyMode).toBe("encrypted");
    expect(backup.keys.every((entry) => entry.key.startsWith("enc1."))).toBe(true);
    const { stdout } = await cli("restore", file, "--url", destination.url, "--skip-usage");
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, keysSkipped: 2, usageRows: 0 });
  });

  it("carries cached tokens in usage rows; a backup without them restores them as 0", async () => {
    sim.reset();
    sim.enqueue({ kind: "pace", cachedTokens: 700 });
    const answer = await fetch(`${source.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": "sk-backup-source-0123456789" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "cached?" }] }] }),
    });
    expect(answer.status).toBe(200);
    interface Row { model: string; requests: number; cachedTokens?: number }
    let backup: { usage: Row[] } = { usage: [] };
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && !backup.usage.some((row) => row.cachedTokens === 700)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      backup = (await (await admin(source, "/api/backup?keys=masked")).json()) as typeof backup;
    }
    expect(backup.usage.filter((row) => row.model === "gemini-2.5-flash")).toMatchObject([{ requests: 1, cachedTokens: 700 }]);

    const restore = async (document: unknown) => (await (await admin(destination, "/api/restore", { method: "POST", body: document })).json()) as { ok: boolean; usageRows: number };
    expect(await restore(backup)).toMatchObject({ ok: true, usageRows: backup.usage.length });
    // The same rows as a backup written before usage had cachedTokens: they add requests, not cached tokens.
    const older = { ...backup, usage: backup.usage.map(({ cachedTokens: _cached, ...row }) => row) };
    expect(await restore(older)).toMatchObject({ ok: true, usageRows: backup.usage.length });
    const usage = (await (await admin(destination, "/api/usage?days=2")).json()) as { byModel: (Row & { id: string })[] };
    expect(usage.byModel.find((row) => row.id === "gemini-2.5-flash")).toMatchObject({ requests: 2, cachedTokens: 700 });
  });
});
