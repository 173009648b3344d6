/**
 * Issue "admin" through the built bundles: ENCRYPTION_KEY seals keys stored in clear on the next
 * self-host start, keys sealed with another ENCRYPTION_KEY are never used, and
 * POST /admin/reload-keys re-reads keys.txt (self-host) or GEMINI_API_KEYS (worker).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startWorker } from "../helpers/chain.ts";
import { startSelfHost, temporaryDirectory } from "../helpers/process.ts";
import { GeminiSimulator } from "../sim/index.ts";

const adminKey = "admin-e2e-admin-0123456789";
const authKey = "sk-e2e-admin-0123456789";

/** True when a state file (SQLite database, WAL, Durable Object storage) below `directory` holds `value`. */
function filesHold(directory: string, value: string): boolean {
  return readdirSync(directory, { recursive: true })
    .map((name) => join(directory, String(name)))
    .filter((file) => statSync(file).isFile() && /sqlite/.test(file))
    .some((file) => readFileSync(file).includes(value));
}

describe("admin on the built bundles", () => {
  let sim: GeminiSimulator;
  const running: { stop(): Promise<unknown> }[] = [];
  const admin = (url: string, method: string, path: string) => fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${adminKey}` } });
  const generate = (url: string) =>
    fetch(`${url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": authKey },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    });

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((target) => target.stop()));
  });
  afterAll(async () => {
    await sim.close();
  });

  it("self-host: seals keys stored in clear once ENCRYPTION_KEY is set, and never uses keys it cannot open", async () => {
    const dataDir = temporaryDirectory();
    const [first, second] = sim.createKeys(2);
    const env = { DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), ADMIN_KEY: adminKey, AUTH_KEY: authKey, GEMINI_UPSTREAM: sim.url, GEMINI_API_KEYS: first! };
    const plain = await startSelfHost(env);
    running.push(plain);
    writeFileSync(join(dataDir, "keys.txt"), `# pool\n${second}\n`);
    expect(await (await admin(plain.url, "POST", "/admin/reload-keys")).json()).toMatchObject({ read: 2, added: 1, total: 2 });
    await plain.stop();
    expect(filesHold(dataDir, first!)).toBe(true);

    const sealed = await startSelfHost({ ...env, ENCRYPTION_KEY: "e2e-encryption-key-0123456789abcdef" });
    running.push(sealed);
    expect((await generate(sealed.url)).status).toBe(200);
    const listed = (await (await admin(sealed.url, "GET", "/api/keys")).json()) as { keys: { status: string }[] };
    expect(listed.keys.map((key) => key.status)).toEqual(["active", "active"]);
    await sealed.stop();
    for (const key of [first!, second!]) expect(filesHold(dataDir, key)).toBe(false);

    // keys.txt is gone and another ENCRYPTION_KEY is set: the sealed keys are listed disabled, never sent.
    writeFileSync(join(dataDir, "keys.txt"), "");
    const wrong = await startSelfHost({ ...env, GEMINI_API_KEYS: "", ENCRYPTION_KEY: "another-encryption-key-0123456789" });
    running.push(wrong);
    const before = sim.requests.length;
    expect((await generate(wrong.url)).status).toBe(503);
    expect(sim.requests.length).toBe(before);
    const unreadable = (await (await admin(wrong.url, "GET", "/api/keys")).json()) as { keys: { status: string; statusReason: string }[] };
    expect(unreadable.keys).toEqual([
      expect.objectContaining({ status: "disabled", statusReason: expect.stringContaining("ENCRYPTION_KEY") }),
      expect.objectContaining({ status: "disabled" }),
    ]);
  });

  it("worker: seeds sealed keys in the Durable Object and reloads GEMINI_API_KEYS after a delete", async () => {
    const [key] = sim.createKeys(1);
    const persistRoot = temporaryDirectory("gemrelay-do-");
    const worker = await startWorker(
      { ADMIN_KEY: adminKey, AUTH_KEY: authKey, GEMINI_UPSTREAM: sim.url, GEMINI_API_KEYS: key!, ENCRYPTION_KEY: "e2e-encryption-key-0123456789abcdef" },
      persistRoot,
    );
    running.push(worker);
    expect((await generate(worker.url)).status).toBe(200);
    const listed = (await (await admin(worker.url, "GET", "/api/keys")).json()) as { keys: { id: string }[] };
    const removed = await fetch(`${worker.url}/api/keys`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ ids: [listed.keys[0]!.id] }),
    });
    expect(((await removed.json()) as { removed: unknown[] }).removed).toHaveLength(1);
    expect((await generate(worker.url)).status).toBe(503);
    expect(await (await admin(worker.url, "POST", "/admin/reload-keys")).json()).toMatchObject({ read: 1, added: 1, total: 1 });
    expect((await generate(worker.url)).status).toBe(200);
    expect(filesHold(persistRoot, key!)).toBe(false);
  });
});
