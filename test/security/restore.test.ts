/**
 * Issue #14, finding 7 (restore trusts the file): `POST /api/restore` checks every restored thing
 * with the rules of the API that writes it and is all-or-nothing. Each variant below adds good
 * new things (a pool key, an access key, a policy document, usage) and one bad one: the answer is
 * a 400 naming the bad field and the state is exactly what it was. On the self-host (SQLite), the
 * worker under workerd (Durable Object) and the self-host on Redis, over real HTTP.
 */
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessKeyRecord } from "../../shared/store/records.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";
import { startSelfHost, temporaryDirectory } from "../helpers/process.ts";
import { resumeWorkerTargets, type Target, type TargetFactory } from "../helpers/targets.ts";
import { GeminiSimulator } from "../sim/index.ts";

const adminKey = "admin-restore-0123456789";
const accessKey = "sk-restore-access-0123456789";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const poolKeyId = (key: string) => sha256(key).slice(0, 16);

interface BackupKey {
  id: string;
  masked: string;
  key?: string;
  status: "active" | "disabled";
  statusReason: string | null;
  addedAt: number;
}
type UsageRow = Record<string, string | number>;
interface Backup {
  format: string;
  version: number;
  createdAt: number;
  platform: string;
  keyMode: string;
  keys: BackupKey[];
  accessKeys: AccessKeyRecord[];
  settings: Record<string, string>;
  usage: UsageRow[];
}

/** A pool key entry as a plain backup holds it. */
function keyEntry(key: string, overrides: Partial<BackupKey> = {}): BackupKey {
  return { id: poolKeyId(key), masked: "AIza…xyz", key, status: "active", statusReason: null, addedAt: 1_700_000_000_000, ...overrides };
}

/** A valid access key record, as createAccessKey makes one. */
function accessRecord(overrides: Partial<AccessKeyRecord> = {}): AccessKeyRecord {
  const hash = sha256(`sk-gr-${randomBytes(24).toString("base64url")}`);
  return { id: hash.slice(0, 12), hash, name: "restored team", hint: "sk-g…abc", createdAt: 1_700_000_000_000, expiresAt: null, models: [], requestsPerMinute: null, revokedAt: null, ...overrides };
}

function usageRow(overrides: UsageRow = {}): UsageRow {
  return { day: "2026-11-01", accessKey: "env", poolKey: "", model: "gemini-2.5-flash", requests: 1, errors: 0, promptTokens: 3, cachedTokens: 0, completionTokens: 4, thoughtTokens: 0, resumes: 0, ...overrides };
}

/** A random key shaped like a Gemini key (39 characters), never known to the target yet. */
const newKey = () => `AIzaSyRestore${randomBytes(20).toString("hex").slice(0, 26)}`;

/** One bad thing added to an otherwise good backup, and the field the 400 must name. */
type Variant = [name: string, spoil: (backup: Backup) => void, field: RegExp];

const variants: Variant[] = [
  ["a pool key with CR/LF", (b) => b.keys.push(keyEntry(`${newKey()}\r\n`)), /keys\[\d+\]\.key: contains whitespace/],
  ["a pool key with a zero-width space", (b) => b.keys.push(keyEntry(`${newKey().slice(0, 20)}\u200b${newKey().slice(20)}`)), /keys\[\d+\]\.key/],
  ["a pool key with a comma", (b) => b.keys.push(keyEntry(`${newKey()},${newKey()}`)), /keys\[\d+\]\.key/],
  ["a pool key far too long", (b) => b.keys.push(keyEntry(`AIza${"x".repeat(5_000)}`)), /keys\[\d+\]\.key/],
  ["a pool key whose id is not its id", (b) => b.keys.push(keyEntry(newKey(), { id: "0123456789abcdef" })), /keys\[\d+\]\.id: is not the id of this key/],
  ["a pool key id shaped like a path", (b) => b.keys.push(keyEntry(newKey(), { id: "../../admin/reset-keys?" })), /keys\[\d+\]\.id/],
  ["the same pool key twice", (b) => { const key = newKey(); b.keys.push(keyEntry(key), keyEntry(key)); }, /keys\[\d+\]\.id: repeats keys\[\d+\]\.id/],
  ["a status reason of 100,000 characters", (b) => b.keys.push(keyEntry(newKey(), { status: "disabled", statusReason: "x".repeat(100_000) })), /keys\[\d+\]\.statusReason/],
  ["a status reason with a newline", (b) => b.keys.push(keyEntry(newKey(), { status: "disabled", statusReason: "bad\nline" })), /keys\[\d+\]\.statusReason/],
  ["a negative addedAt", (b) => b.keys.push(keyEntry(newKey(), { addedAt: -1e308 })), /keys\[\d+\]\.addedAt/],
  ["an access key id shaped like a path", (b) => b.accessKeys.push(accessRecord({ id: "../../admin/reset-keys?" })), /accessKeys\[\d+\]\.id/],
  ["an access key id that is not its hash's", (b) => b.accessKeys.push(accessRecord({ id: "0123456789ab" })), /accessKeys\[\d+\]\.id: must be the first 12 digits of hash/],
  ["an access key hash that is not a SHA-256", (b) => b.accessKeys.push({ ...accessRecord(), hash: "plaintext-secret" }), /accessKeys\[\d+\]\.hash/],
  ["an access key name of 10,000 characters", (b) => b.accessKeys.push(accessRecord({ name: "n".repeat(10_000) })), /accessKeys\[\d+\]\.name/],
  ["an empty access key name", (b) => b.accessKeys.push(accessRecord({ name: "   " })), /accessKeys\[\d+\]\.name/],
  ["an access key model list entry with markup", (b) => b.accessKeys.push(accessRecord({ models: ["<img src=x onerror=alert(1)>"] })), /accessKeys\[\d+\]\.models\[0\]/],
  ["a negative requests per minute", (b) => b.accessKeys.push(accessRecord({ requestsPerMinute: -5 })), /accessKeys\[\d+\]\.requestsPerMinute/],
  ["the same access key twice", (b) => { const record = accessRecord(); b.accessKeys.push(record, { ...record }); }, /accessKeys\[\d+\]\.id: repeats/],
  ["two access keys with one hash", (b) => { const record = accessRecord(); b.accessKeys.push(record, { ...accessRecord(), hash: record.hash, id: record.id }); }, /accessKeys\[\d+\]\.(id|hash): repeats/],
  ["a model policy that is not JSON", (b) => (b.settings["policy.models"] = "{disabled: [gemini-2.5-pro]"), /settings\.policy\.models: is not JSON/],
  ["a model policy of the wrong shape", (b) => (b.settings["policy.models"] = JSON.stringify({ disabled: "gemini-2.5-pro" })), /settings\.policy\.models: disabled/],
  ["a budget below zero", (b) => (b.settings["policy.budgets"] = JSON.stringify({ enabled: true, limits: { "gemini-2.5-flash": { rpm: -1 } } })), /settings\.policy\.budgets: limits\.gemini-2\.5-flash\.rpm/],
  ["a budget that is not a whole number", (b) => (b.settings["policy.budgets"] = JSON.stringify({ enabled: true, limits: { "gemini-2.5-flash": { rpd: 0.5 } } })), /settings\.policy\.budgets/],
  ["an infinite price", (b) => (b.settings["policy.prices"] = '{"gemini-2.5-flash":{"input":1e999,"output":1}}'), /settings\.policy\.prices/],
  ["a negative price", (b) => (b.settings["policy.prices"] = JSON.stringify({ "gemini-2.5-flash": { input: -1, output: 1 } })), /settings\.policy\.prices/],
  ["key metadata with a negative weight", (b) => (b.settings["keys.metadata"] = JSON.stringify({ "0123456789abcdef": { weight: -1 } })), /settings\.keys\.metadata/],
  ["key metadata under a path-shaped id", (b) => (b.settings["keys.metadata"] = JSON.stringify({ "../../x": { note: "hi" } })), /settings\.keys\.metadata/],
  ["key metadata with unknown fields", (b) => (b.settings["keys.metadata"] = JSON.stringify({ "0123456789abcdef": { relay: "nowhere" } })), /settings\.keys\.metadata/],
  ["learned limits below zero", (b) => (b.settings["budgets.learned"] = JSON.stringify({ "key:0123456789abcdef": { "gemini-2.5-flash": { rpm: -3 } } })), /settings\.budgets\.learned/],
  ["a setting no backup carries", (b) => (b.settings["admin.session-secret"] = "attacker-chosen"), /settings\.admin\.session-secret: not a setting a backup carries/],
  ["usage of -1e308 requests", (b) => b.usage.push(usageRow({ requests: -1e308 })), /usage\[\d+\]\.requests/],
  ["usage of 1e308 prompt tokens", (b) => b.usage.push(usageRow({ promptTokens: 1e308 })), /usage\[\d+\]\.promptTokens/],
  ["usage of half a request", (b) => b.usage.push(usageRow({ requests: 0.5 })), /usage\[\d+\]\.requests/],
  ["usage on a day that does not exist", (b) => b.usage.push(usageRow({ day: "2026-13-45" })), /usage\[\d+\]\.day/],
  ["usage of a model named with markup", (b) => b.usage.push(usageRow({ model: "<b>m</b>\u202e" })), /usage\[\d+\]\.model/],
  ["usage of an access key named with markup", (b) => b.usage.push(usageRow({ accessKey: "<img src=x>" })), /usage\[\d+\]\.accessKey/],
  ["usage of a pool key that is not an id", (b) => b.usage.push(usageRow({ poolKey: "AIza" + "SyFullKeyInUsage0123456789abcdefghi" })), /usage\[\d+\]\.poolKey/],
  ["the same usage row twice", (b) => b.usage.push(usageRow({ day: "2026-10-01" }), usageRow({ day: "2026-10-01" })), /usage\[\d+\]: repeats usage\[\d+\]/],
];

let redis: RedisServer | undefined;
const deployments: [string, TargetFactory][] = [
  ...resumeWorkerTargets,
  [
    "self-host on Redis",
    async (env) => {
      redis = await startRedis();
      const dataDir = temporaryDirectory();
      const child = await startSelfHost({ ...env, DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), REDIS_URL: redis.url });
      return { url: child.url, stop: async () => child.stop().then(() => redis?.stop()) };
    },
  ],
];

describe.each(deployments)("restore checks everything first on %s", (_name, start) => {
  let sim: GeminiSimulator;
  let target: Target;

  const admin = (path: string, method = "GET", body?: unknown) =>
    fetch(`${target.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  const backup = async (): Promise<Backup> => (await (await admin("/api/backup?keys=plain")).json()) as Backup;
  /** Everything a backup shows except when it was taken. */
  const state = async () => {
    const { createdAt: _at, ...rest } = await backup();
    return rest;
  };
  /** A good backup of the current state with good new things: anything bad added to it is the only problem. */
  const goodBackup = async (): Promise<Backup> => {
    const current = await backup();
    current.keys.push(keyEntry(newKey()), keyEntry(newKey(), { status: "disabled", statusReason: "API_KEY_INVALID" }));
    current.accessKeys.push(accessRecord());
    current.settings["policy.models"] = JSON.stringify({ disabled: ["gemini-2.5-pro"] });
    current.usage.push(usageRow({ day: "2026-11-20", poolKey: current.keys[0]!.id }));
    return current;
  };

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    target = await start({ ADMIN_KEY: adminKey, AUTH_KEY: accessKey, GEMINI_UPSTREAM: sim.url, GEMINI_API_KEYS: sim.createKey() });
  }, 60_000);
  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  it.each(variants)("refuses %s, names the field and changes nothing", async (_variant, spoil, field) => {
    const before = await state();
    const spoiled = await goodBackup();
    spoil(spoiled);
    const answer = await admin("/api/restore", "POST", spoiled);
    const text = await answer.text();
    expect(answer.status, text).toBe(400);
    expect((JSON.parse(text) as { error: { message: string } }).error.message).toMatch(field);
    // No pool key, whole or in part, comes back in the answer.
    for (const entry of spoiled.keys) if (entry.key && entry.key.length > 12) expect(text).not.toContain(entry.key.slice(4, -3));
    expect(await state()).toEqual(before);
  });

  it("with ?usage=skip neither reads nor restores usage, so refused rows do not block the rest", async () => {
    const good = await goodBackup();
    good.usage.push(usageRow({ requests: -1e308, model: "<b>x</b>" }));
    const before = (await backup()).usage;
    const answer = await admin("/api/restore?usage=skip", "POST", good);
    expect(answer.status, await answer.clone().text()).toBe(200);
    expect(await answer.json()).toMatchObject({ ok: true, keysAdded: 2, accessKeysAdded: 1, usageRows: 0 });
    expect((await backup()).usage).toEqual(before);
  });

  it("applies a good backup whole: keys with their status, access keys, documents and usage", async () => {
    const good = await goodBackup();
    good.settings["keys.metadata"] = JSON.stringify({ [good.keys[0]!.id]: { note: "restored" } });
    const answer = await admin("/api/restore", "POST", good);
    expect(answer.status, await answer.clone().text()).toBe(200);
    expect(await answer.json()).toMatchObject({ ok: true, keysAdded: 2, accessKeysAdded: 1, usageRows: good.usage.length });
    const after = await backup();
    const [added, disabled] = good.keys.slice(-2);
    expect(after.keys.find((entry) => entry.id === added!.id)).toMatchObject({ status: "active", statusReason: null });
    expect(after.keys.find((entry) => entry.id === disabled!.id)).toMatchObject({ status: "disabled", statusReason: "API_KEY_INVALID" });
    expect(after.accessKeys.map((record) => record.id)).toContain(good.accessKeys.at(-1)!.id);
    expect(JSON.parse(after.settings["policy.models"]!)).toMatchObject({ disabled: ["gemini-2.5-pro"] });
    expect(after.usage).toContainEqual(usageRow({ day: "2026-11-20", poolKey: good.keys[0]!.id }));
    // The model policy restored is the one the API now applies (not silently dropped while "edited").
    const policy = (await (await admin("/api/policy/models")).json()) as { policy: { disabled: string[] }; edited: boolean };
    expect(policy).toMatchObject({ edited: true, policy: { disabled: ["gemini-2.5-pro"] } });
  });

  it("serves a console that builds every id into a URL with encodeURIComponent", async () => {
    const page = await (await fetch(`${target.url}/console.js`)).text();
    expect(page).toContain('"/api/access-keys/" + encodeURIComponent(key.id) + "/revoke"');
    expect(page).toContain('"/api/keys/" + encodeURIComponent(key.id) + "/"');
    expect(page).not.toMatch(/"\/api\/[a-z-/]*" \+ key\.id/);
  });
});

describe("a stored document that is not in force, on the self-host", () => {
  it("is reported by GET (problem named) instead of silently serving the default as if edited", async () => {
    const dataDir = temporaryDirectory();
    const env = { DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), ADMIN_KEY: adminKey, AUTH_KEY: accessKey };
    let child = await startSelfHost(env);
    await child.stop();
    // What a restore before this fix, or a newer gemrelay, could have left in the database.
    const database = new Database(join(dataDir, "gemrelay.sqlite"));
    database.prepare("INSERT INTO settings (name, value) VALUES (?, ?), (?, ?)").run("policy.models", "{disabled: [gemini-2.5-pro]", "policy.budgets", JSON.stringify({ enabled: "yes" }));
    database.close();
    child = await startSelfHost(env);
    try {
      const read = async (path: string) => (await (await fetch(`${child.url}${path}`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as { edited: boolean; problem: string | null };
      expect(await read("/api/policy/models")).toMatchObject({ edited: true, problem: "is not JSON" });
      expect((await read("/api/policy/budgets")).problem).toMatch(/^enabled: /);
      expect(await read("/api/policy/prices")).toMatchObject({ edited: false, problem: null });
    } finally {
      await child.stop();
    }
  });
});
