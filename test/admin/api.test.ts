/**
 * Issue "admin": every admin route's authentication, validation errors and pagination, the key
 * check, access keys (401/403/429 in both protocols), usage and the request log — on the real
 * app over a memory Store and the simulator. No response or log line may hold a whole pool key
 * or the admin key.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MemoryStore } from "../../shared/store/memory.ts";
import { GeminiSimulator } from "../sim/index.ts";
import { adminKey, authKey, startAdminApp, type AdminHarness } from "./harness.ts";

let sim: GeminiSimulator;
const apps: AdminHarness[] = [];
const poolKeysSeen: string[] = [];

/** A fresh app; its responses and logs are checked for leaks after each test. */
function start(env: Record<string, string> = {}, reloadKeys?: () => Promise<string[]>, store?: MemoryStore): AdminHarness {
  const app = startAdminApp(sim, env, reloadKeys, store);
  apps.push(app);
  return app;
}

/** Simulator keys, remembered for the leak check. */
function keys(count: number, behaviour: Parameters<GeminiSimulator["createKey"]>[0] = "ok"): string[] {
  const created = sim.createKeys(count, behaviour);
  poolKeysSeen.push(...created);
  return created;
}

beforeAll(async () => {
  sim = await GeminiSimulator.start();
});

afterEach(() => {
  for (const app of apps.splice(0)) {
    const said = [...app.bodies, ...app.logs].join("\n");
    for (const secret of [...poolKeysSeen, adminKey]) expect(said.includes(secret), "a response or log line holds a whole secret").toBe(false);
  }
  sim.reset();
});

afterAll(async () => {
  await sim.close();
});

/** Every admin route with a body that passes validation (auth is what is tested). */
const adminRoutes: [string, string, unknown?][] = [
  ["GET", "/status"],
  ["GET", "/api/keys"],
  ["POST", "/api/keys", { keys: ["x".repeat(39)] }],
  ["DELETE", "/api/keys", { ids: ["0000000000000000"] }],
  ["POST", "/api/keys/0000000000000000/enable"],
  ["POST", "/api/keys/0000000000000000/disable"],
  ["POST", "/api/keys/check"],
  ["POST", "/admin/reset-keys"],
  ["POST", "/admin/reload-keys"],
  ["GET", "/api/access-keys"],
  ["POST", "/api/access-keys", { name: "x" }],
  ["POST", "/api/access-keys/000000000000/revoke"],
  ["GET", "/api/usage"],
  ["GET", "/api/requests"],
  ["GET", "/api/relays"],
];

describe("admin authentication", () => {
  it.each(adminRoutes)("%s %s refuses a missing or wrong credential and accepts ADMIN_KEY", async (method, path, body) => {
    const app = start();
    const missing = await app.call(method, path, { bearer: null, body });
    expect(missing.status).toBe(401);
    expect(missing.body.error.status).toBe("UNAUTHENTICATED");
    const wrong = await app.call(method, path, { bearer: "not-the-admin-key", body });
    expect(wrong.status).toBe(401);
    const accessKey = await app.call(method, path, { bearer: authKey, body });
    expect(accessKey.status).toBe(401);
    const right = await app.call(method, path, { body });
    expect([200, 201, 404]).toContain(right.status);
  });

  it("answers 503 on every admin route when no ADMIN_KEY is configured", async () => {
    const app = start({ ADMIN_KEY: "" });
    for (const [method, path, body] of adminRoutes) {
      const response = await app.call(method, path, { body, bearer: "anything" });
      expect(response.status, `${method} ${path}`).toBe(503);
      expect(response.body.error.message).toContain("ADMIN_KEY");
    }
  });

  it("logs in with a signed HttpOnly SameSite cookie that never holds the admin key, and logs out", async () => {
    const app = start();
    expect((await app.call("GET", "/api/session", { bearer: null })).body).toEqual({ authenticated: false });
    expect((await app.call("POST", "/api/login", { bearer: null, body: { adminKey: "wrong" } })).status).toBe(401);
    expect((await app.call("POST", "/api/login", { bearer: null, body: {} })).body.error.message).toContain("adminKey");

    const login = await app.call("POST", "/api/login", { bearer: null, body: { adminKey } });
    expect(login.status).toBe(200);
    const cookie = login.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^gemrelay_session=v2\.[\w-]+\.\d+\.[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(cookie).not.toContain(adminKey);
    const session = { cookie: cookie.split(";")[0]! };

    expect((await app.call("GET", "/api/session", { bearer: null, headers: session })).body).toEqual({ authenticated: true, method: "session" });
    expect((await app.call("GET", "/api/keys", { bearer: null, headers: session })).status).toBe(200);
    // Writes with the cookie need the console header (CSRF).
    const forged = await app.call("POST", "/admin/reset-keys", { bearer: null, headers: session });
    expect(forged.status).toBe(403);
    expect(forged.body.error.message).toContain("x-gemrelay-console");
    expect((await app.call("POST", "/admin/reset-keys", { bearer: null, headers: { ...session, "x-gemrelay-console": "1" } })).status).toBe(200);

    // A tampered or foreign token is refused.
    const tampered = { cookie: session.cookie.slice(0, -3) + (session.cookie.endsWith("AAA") ? "BBB" : "AAA") };
    expect((await app.call("GET", "/api/keys", { bearer: null, headers: tampered })).status).toBe(401);
    const other = start();
    expect((await other.call("GET", "/api/keys", { bearer: null, headers: session })).status).toBe(401);

    expect((await app.call("POST", "/api/logout", { bearer: null, headers: session })).status).toBe(400);
    const logout = await app.call("POST", "/api/logout", { bearer: null, headers: { ...session, "x-gemrelay-console": "1" } });
    expect(logout.headers.get("set-cookie")).toMatch(/^gemrelay_session=; .*Max-Age=0/);
    // Logout revoked the session: the old cookie no longer works.
    expect((await app.call("GET", "/api/keys", { bearer: null, headers: session })).status).toBe(401);
  });

  it("marks the cookie Secure behind https", async () => {
    const app = start();
    const login = await app.call("POST", "/api/login", { bearer: null, body: { adminKey }, headers: { "x-forwarded-proto": "https" } });
    expect(login.headers.get("set-cookie")).toContain("; Secure");
  });

  it("throttles guessing: five wrong keys from one address, then 429 even for the right key", async () => {
    const app = start();
    const from = (address: string) => ({ "cf-connecting-ip": address });
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await app.call("POST", "/api/login", { bearer: null, body: { adminKey: `guess-${attempt}` }, headers: from("203.0.113.9") })).status).toBe(401);
    }
    const blocked = await app.call("POST", "/api/login", { bearer: null, body: { adminKey }, headers: from("203.0.113.9") });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.details[0].retryDelay).toMatch(/^\d+s$/);
    // Bearer guesses count too; other addresses are unaffected.
    expect((await app.call("GET", "/api/keys", { headers: from("203.0.113.9") })).status).toBe(429);
    expect((await app.call("POST", "/api/login", { bearer: null, body: { adminKey }, headers: from("198.51.100.1") })).status).toBe(200);
  });
});

describe("pool keys", () => {
  it("adds in bulk: trims, de-duplicates, rejects malformed keys by position and masked, never echoing a key", async () => {
    const app = start();
    const [first, second] = keys(2);
    const response = await app.call("POST", "/api/keys", { body: { keys: [` ${first} `, second, first, "AIza short", "has,comma-" + "x".repeat(30), ""] } });
    expect(response.status).toBe(200);
    expect(response.body.added.map((entry: { key: string }) => entry.key)).toEqual([`${first!.slice(0, 4)}…${first!.slice(-3)}`, `${second!.slice(0, 4)}…${second!.slice(-3)}`]);
    expect(response.body.added[0].id).toMatch(/^[0-9a-f]{16}$/);
    expect(response.body).toMatchObject({ existing: 0, duplicates: 1 });
    expect(response.body.rejected).toEqual([
      { index: 3, key: "AIza…ort", reason: "contains whitespace" },
      { index: 4, key: "has,…xxx", reason: expect.stringContaining("characters") },
      { index: 5, key: "…", reason: "empty" },
    ]);
    // A text with one key per line works as well; known keys are counted, not added again.
    const again = await app.call("POST", "/api/keys", { body: { keys: `${first}\n# comment\n\n${keys(1)[0]}` } });
    expect(again.body).toMatchObject({ existing: 1, rejected: [] });
    expect(again.body.added).toHaveLength(1);
    expect((await app.store.listKeys()).map((key) => key.key)).toEqual([first, second, expect.any(String)]);
  });

  it("rejects bodies naming the field at fault", async () => {
    const app = start();
    const cases: [unknown, string][] = [
      ["not json", "not valid JSON"],
      [{}, "keys"],
      [{ keys: 5 }, "keys"],
      [{ keys: [1] }, "at keys: keys must be an array of keys"],
      [{ keys: ["AIza key with spaces"] }, "keys[0] (AIza…ces): contains whitespace"],
    ];
    for (const [body, text] of cases) {
      const response = await app.call("POST", "/api/keys", { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.message).toContain(text);
    }
    const deleting = await app.call("DELETE", "/api/keys", { body: { ids: [] } });
    expect(deleting.status).toBe(400);
    expect(deleting.body.error.message).toContain("keys: name the keys to delete");
  });

  it("lists keys masked, paginated and filtered, with per-model cooldowns and counters", async () => {
    const app = start();
    const pool = keys(7);
    await app.call("POST", "/api/keys", { body: { keys: pool } });
    await app.store.setKeyStatus(pool[1]!, "disabled", "API_KEY_INVALID");
    await app.store.setCooldown({ key: pool[2]!, model: "gemini-2.5-pro", until: Date.now() + 60_000, reason: "retry-info" });

    const first = await app.call("GET", "/api/keys?page=1&pageSize=3");
    expect(first.body).toMatchObject({ page: 1, pageSize: 3, total: 7, pages: 3, totals: { keys: 7, active: 6, disabled: 1, cooling: 1 } });
    expect(first.body.keys).toHaveLength(3);
    expect(first.body.keys[1]).toMatchObject({ status: "disabled", statusReason: "API_KEY_INVALID", key: `${pool[1]!.slice(0, 4)}…${pool[1]!.slice(-3)}` });
    expect(first.body.keys[2].cooldowns).toEqual([expect.objectContaining({ model: "gemini-2.5-pro", reason: "retry-info", seconds: expect.any(Number) })]);
    const last = await app.call("GET", "/api/keys?page=3&pageSize=3");
    expect(last.body.keys).toHaveLength(1);
    expect((await app.call("GET", "/api/keys?page=9&pageSize=3")).body.keys).toEqual([]);
    expect((await app.call("GET", "/api/keys?status=disabled")).body).toMatchObject({ total: 1 });
    expect((await app.call("GET", "/api/keys?status=cooling")).body).toMatchObject({ total: 1 });

    for (const [query, text] of [
      ["page=0", "page: page must be 1 or more"],
      ["pageSize=501", "pageSize: pageSize must be at most 500"],
      ["page=abc", "page"],
      ["status=broken", "status: status must be all"],
    ]) {
      const response = await app.call("GET", `/api/keys?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error.message).toContain(text);
    }
  });

  it("deletes by id or by key, reports unknown ones masked, and enables/disables one key", async () => {
    const app = start();
    const pool = keys(3);
    const added = (await app.call("POST", "/api/keys", { body: { keys: pool } })).body.added as { id: string }[];
    const removed = await app.call("DELETE", "/api/keys", { body: { ids: [added[0]!.id, "ffffffffffffffff"], keys: [pool[1], "AIzaUnknownKeyThatIsLongEnough0000000"] } });
    expect(removed.body.removed.map((entry: { id: string }) => entry.id).sort()).toEqual([added[0]!.id, added[1]!.id].sort());
    expect(removed.body.notFound).toEqual(["AIza…000", "ffffffffffffffff"]);
    expect((await app.store.listKeys()).map((key) => key.key)).toEqual([pool[2]]);

    const id = added[2]!.id;
    expect((await app.call("POST", `/api/keys/${id}/disable`)).body).toEqual({ id, status: "disabled" });
    expect((await app.store.listKeys())[0]).toMatchObject({ status: "disabled", statusReason: "disabled by admin" });
    expect((await app.call("POST", `/api/keys/${id}/enable`)).body).toEqual({ id, status: "active" });
    expect((await app.call("POST", "/api/keys/0123456789abcdef/enable")).status).toBe(404);
  });

  it("resets every key and reloads the configured keys", async () => {
    const configured = keys(2);
    const app = start({ GEMINI_API_KEYS: configured[0]! }, async () => [...configured, "bad key"]);
    await app.call("POST", "/api/keys", { body: { keys: configured.slice(0, 1) } });
    await app.store.setKeyStatus(configured[0]!, "disabled", "x");
    await app.store.setCooldown({ key: configured[0]!, model: "m", until: Date.now() + 60_000, reason: "429" });
    expect((await app.call("POST", "/admin/reset-keys")).body).toEqual({ enabled: 1, cooldownsCleared: true });
    expect((await app.store.listKeys())[0]).toMatchObject({ status: "active" });
    expect(await app.store.listCooldowns(Date.now())).toEqual([]);
    const reloaded = await app.call("POST", "/admin/reload-keys");
    expect(reloaded.body).toMatchObject({ read: 2, added: 1, total: 2, rejected: [{ index: 2, key: "…", reason: "contains whitespace" }] });
  });
});

describe("key check", () => {
  it("classifies valid, invalid, quota-limited and location-refused keys; disables only the invalid one", async () => {
    const app = start();
    const [valid] = keys(1);
    const [invalid] = keys(1, "invalid");
    const [limited] = keys(1, "rate-limit-minute");
    const [refused] = keys(1, "location");
    await app.call("POST", "/api/keys", { body: { keys: [valid, invalid, limited, refused] } });
    const response = await app.call("POST", "/api/keys/check");
    expect(response.body).toMatchObject({ total: 4, offset: 0, next: null });
    expect(response.body.results.map((result: { verdict: string }) => result.verdict)).toEqual(["valid", "invalid", "quota-limited", "location-refused"]);
    expect(response.body.results[1].detail).toContain("API_KEY_INVALID");
    const statuses = (await app.store.listKeys()).map((key) => key.status);
    expect(statuses).toEqual(["active", "disabled", "active", "active"]);
    // The probe is one minimal request per key, with the key itself.
    const probes = sim.requests.filter((request) => request.action === "generateContent");
    expect(probes.map((request) => request.key)).toEqual([valid, invalid, limited, refused]);
    expect(probes[0]!.body).toMatchObject({ generationConfig: { maxOutputTokens: 1 } });

    // A key the check disabled comes back when it answers again; one an admin disabled does not.
    sim.setKeyBehaviour(invalid!, "ok");
    const ids = response.body.results.map((result: { id: string }) => result.id);
    await app.call("POST", `/api/keys/${ids[0]}/disable`);
    await app.call("POST", "/api/keys/check", { body: { ids: ids.slice(0, 2) } });
    expect((await app.store.listKeys()).map((key) => key.status)).toEqual(["disabled", "active", "active", "active"]);
  });

  it("never disables a key for a transient failure", async () => {
    const app = start();
    const [key] = keys(1, "overload");
    await app.call("POST", "/api/keys", { body: { keys: [key] } });
    const response = await app.call("POST", "/api/keys/check");
    expect(response.body.results[0].verdict).toBe("unreachable");
    expect((await app.store.listKeys())[0]!.status).toBe("active");
  });

  it("works in batches with a continuation offset, within the subrequest budget", async () => {
    const app = start();
    await app.call("POST", "/api/keys", { body: { keys: keys(25) } });
    const first = await app.call("POST", "/api/keys/check");
    expect(first.body).toMatchObject({ total: 25, offset: 0, next: 20 });
    expect(first.body.results).toHaveLength(20);
    const second = await app.call("POST", `/api/keys/check?offset=${first.body.next}`);
    expect(second.body).toMatchObject({ offset: 20, next: null });
    expect(second.body.results).toHaveLength(5);
    const small = await app.call("POST", "/api/keys/check?offset=3&limit=2");
    expect(small.body).toMatchObject({ offset: 3, next: 5 });
    for (const [query, text] of [
      ["limit=21", "limit: limit must be at most 20"],
      ["offset=-1", "offset: offset must be 0 or more"],
    ]) {
      const response = await app.call("POST", `/api/keys/check?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(text);
    }
  });
});

describe("access keys", () => {
  async function create(app: AdminHarness, body: Record<string, unknown>): Promise<{ secret: string; id: string }> {
    const response = await app.call("POST", "/api/access-keys", { body });
    expect(response.status).toBe(201);
    return { secret: response.body.secret, id: response.body.accessKey.id };
  }

  it("creates a key shown once and stored as a hash, which then authenticates like AUTH_KEY", async () => {
    const app = start({ GEMINI_API_KEYS: keys(1)[0]! });
    const response = await app.call("POST", "/api/access-keys", { body: { name: "laptop", expiresAt: "2999-01-01", models: ["gemini-2.5-*"], requestsPerMinute: 100 } });
    const secret: string = response.body.secret;
    expect(secret).toMatch(/^sk-gr-[\w-]{32}$/);
    expect(response.body.accessKey).toMatchObject({ name: "laptop", hint: `${secret.slice(0, 4)}…${secret.slice(-3)}`, models: ["gemini-2.5-*"], requestsPerMinute: 100, state: "active" });
    expect(response.body.accessKey.expiresAt).toBe(Date.parse("2999-01-01T23:59:59.999Z"));
    expect(response.body.accessKey.hash).toBeUndefined();
    const listed = await app.call("GET", "/api/access-keys");
    expect(listed.text).not.toContain(secret);
    expect(listed.body.accessKeys).toEqual([expect.objectContaining({ name: "laptop", state: "active" })]);
    expect(JSON.stringify(await app.store.listAccessKeys())).not.toContain(secret);

    expect((await app.generate(secret)).status).toBe(200);
    expect((await app.generate(authKey)).status).toBe(200);
    expect((await app.generate("sk-gr-wrong-wrong-wrong-wrong-wrong-wr")).status).toBe(401);
  });

  it("validates creation bodies naming the field", async () => {
    const app = start();
    for (const [body, text] of [
      [{}, "name"],
      [{ name: "" }, "name: name must not be empty"],
      [{ name: "x", expiresAt: "tomorrow" }, "expiresAt"],
      [{ name: "x", models: ["gemini 2"] }, "models[0]: must be a model id"],
      [{ name: "x", requestsPerMinute: 0 }, "requestsPerMinute"],
    ] as const) {
      const response = await app.call("POST", "/api/access-keys", { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.message).toContain(text);
    }
    expect((await app.call("POST", "/api/access-keys/nope/revoke")).status).toBe(404);
  });

  it("refuses revoked and expired keys with 401, models outside the allow-list with 403, and a busy key with 429", async () => {
    const app = start({ GEMINI_API_KEYS: keys(1)[0]! });
    const revoked = await create(app, { name: "revoked" });
    expect((await app.generate(revoked.secret)).status).toBe(200);
    expect((await app.call("POST", `/api/access-keys/${revoked.id}/revoke`)).body).toEqual({ id: revoked.id, state: "revoked" });
    const refused = await app.generate(revoked.secret);
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toContain("revoked");

    const expired = await create(app, { name: "expired", expiresAt: Date.now() - 1_000 });
    expect((await app.generate(expired.secret)).body.error).toMatchObject({ code: 401, message: expect.stringContaining("expired") });

    const flashOnly = await create(app, { name: "flash", models: ["gemini-2.5-flash"] });
    expect((await app.generate(flashOnly.secret, "gemini-2.5-flash")).status).toBe(200);
    const forbidden = await app.generate(flashOnly.secret, "gemini-2.5-pro");
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatchObject({ status: "PERMISSION_DENIED", message: expect.stringContaining("gemini-2.5-pro") });

    const limited = await create(app, { name: "limited", requestsPerMinute: 2 });
    expect((await app.generate(limited.secret)).status).toBe(200);
    expect((await app.generate(limited.secret)).status).toBe(200);
    const busy = await app.generate(limited.secret);
    expect(busy.status).toBe(429);
    expect(busy.body.error.message).toContain("Resource has been exhausted");
    expect(busy.body.error.details[0]).toMatchObject({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: expect.stringMatching(/^\d+s$/) });
  });

  it("answers refusals on OpenAI paths in OpenAI's error shape", async () => {
    const app = start({ GEMINI_API_KEYS: keys(1)[0]! });
    const flashOnly = await create(app, { name: "flash", models: ["gemini-2.5-flash"], requestsPerMinute: 2 });
    const chat = (key: string, model: string) =>
      app.call("POST", "/v1/chat/completions", { bearer: key, body: { model, messages: [{ role: "user", content: "hi" }] } });
    expect((await chat(flashOnly.secret, "gemini-2.5-flash")).status).toBe(200);
    const forbidden = await chat(flashOnly.secret, "gemini-2.5-pro");
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatchObject({ type: "permission_error", message: expect.stringContaining("gemini-2.5-pro") });
    const busy = await chat(flashOnly.secret, "gemini-2.5-flash");
    expect(busy.status).toBe(429);
    expect(busy.body.error.message).toContain("requests per minute");
    await app.call("POST", `/api/access-keys/${flashOnly.id}/revoke`);
    const revoked = await chat(flashOnly.secret, "gemini-2.5-flash");
    expect(revoked.status).toBe(401);
    expect(revoked.body.error).toMatchObject({ code: "invalid_api_key", message: expect.stringContaining("revoked") });
  });

  it("reaches other isolates: a new key works there within a second, a revocation within the refresh time", async () => {
    const store = new MemoryStore();
    const env = { GEMINI_API_KEYS: keys(1)[0]!, ACCESS_KEY_REFRESH_MS: "200" };
    const admin = start(env, undefined, store);
    const other = start(env, undefined, store);
    expect((await other.generate(authKey)).status).toBe(200);
    const { secret, id } = await create(admin, { name: "shared" });
    const createdAt = Date.now();
    await expect.poll(async () => (await other.generate(secret)).status, { interval: 50, timeout: 5_000 }).toBe(200);
    expect(Date.now() - createdAt).toBeLessThan(2_000);
    await admin.call("POST", `/api/access-keys/${id}/revoke`);
    expect((await admin.generate(secret)).status).toBe(401);
    const revokedAt = Date.now();
    await expect.poll(async () => (await other.generate(secret)).status, { interval: 50, timeout: 5_000 }).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThan(2_000);
  });

  it("serves with Store access keys alone (no AUTH_KEY), and without any answers 503", async () => {
    const app = start({ AUTH_KEY: "", GEMINI_API_KEYS: keys(1)[0]! });
    expect((await app.generate("sk-anything-0123456789")).status).toBe(503);
    const { secret } = await create(app, { name: "only" });
    expect((await app.generate(secret)).status).toBe(200);
  });
});

describe("usage and request log", () => {
  it("counts requests, errors and tokens per access key, pool key, model and day, and logs requests without content", async () => {
    const pool = keys(1);
    const app = start({ GEMINI_API_KEYS: pool[0]! });
    const key = (await app.call("POST", "/api/access-keys", { body: { name: "team", models: ["gemini-2.5-flash"] } })).body;
    expect((await app.generate(key.secret, "gemini-2.5-flash", "secret prompt text")).status).toBe(200);
    expect((await app.generate(key.secret, "gemini-2.5-pro")).status).toBe(403);
    expect((await app.generate(authKey, "gemini-2.5-pro")).status).toBe(200);
    await app.settle();

    const usage = (await app.call("GET", "/api/usage?days=3")).body;
    expect(usage.days).toHaveLength(3);
    const today = usage.days.at(-1);
    expect(today).toMatchObject({ requests: 3, errors: 1 });
    expect(today.promptTokens).toBeGreaterThan(0);
    expect(today.completionTokens).toBeGreaterThan(0);
    expect(today.thoughtTokens).toBeGreaterThan(0);
    expect(usage.byAccessKey).toEqual([
      expect.objectContaining({ id: key.accessKey.id, name: "team", requests: 2, errors: 1 }),
      expect.objectContaining({ id: "env", name: "AUTH_KEY", requests: 1, errors: 0 }),
    ]);
    expect(usage.byModel.map((row: { id: string; requests: number }) => [row.id, row.requests])).toEqual([
      ["gemini-2.5-pro", 2],
      ["gemini-2.5-flash", 1],
    ]);
    expect(usage.byPoolKey).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: `${pool[0]!.slice(0, 4)}…${pool[0]!.slice(-3)}`, requests: 2 }), expect.objectContaining({ key: "none", requests: 1 })]),
    );

    // Requests are logged when they finish; the upstream one may finish after the next began, so
    // entries are found by content and the two pages together must hold all three.
    const log = (await app.call("GET", "/api/requests?limit=2")).body;
    expect(log.requests).toHaveLength(2);
    const older = (await app.call("GET", `/api/requests?limit=2&before=${log.next}`)).body;
    expect(older.requests).toHaveLength(1);
    expect(older.next).toBeNull();
    type Logged = { accessKeyName: string; model: string; status: number; poolKey: string };
    const all: Logged[] = [...log.requests, ...older.requests];
    const find = (name: string, model: string) => all.find((entry) => entry.accessKeyName === name && entry.model === model);
    expect(find("AUTH_KEY", "gemini-2.5-pro")).toMatchObject({ status: 200, relay: "direct", attempts: 1, resumes: 0 });
    expect(find("AUTH_KEY", "gemini-2.5-pro")!.poolKey).toBe(`${pool[0]!.slice(0, 4)}…${pool[0]!.slice(-3)}`);
    expect(find("team", "gemini-2.5-pro")).toMatchObject({ status: 403, attempts: 0 });
    expect(find("team", "gemini-2.5-flash")).toMatchObject({ status: 200, attempts: 1 });
    expect(JSON.stringify([usage, log, older])).not.toContain("secret prompt text");

    for (const [path, text] of [
      ["/api/usage?days=0", "days"],
      ["/api/requests?limit=501", "limit: limit must be at most 500"],
      ["/api/requests?before=x", "before"],
    ] as const) {
      const response = await app.call("GET", path);
      expect(response.status, path).toBe(400);
      expect(response.body.error.message).toContain(text);
    }
  });

  it("applies retention to the request log", async () => {
    const app = start({ GEMINI_API_KEYS: keys(1)[0]!, REQUEST_LOG_LIMIT: "2" });
    for (let index = 0; index < 3; index++) expect((await app.generate(authKey)).status).toBe(200);
    await app.settle();
    // The first flush already pruned (once per hour per isolate); prune again as a later flush would.
    await app.store.pruneUsage({ beforeDay: "2000-01-01", maxRequests: 2 });
    expect((await app.call("GET", "/api/requests")).body.requests).toHaveLength(2);
  });

  it("describes relays, and serves the console with a strict CSP and no secrets", async () => {
    const app = start();
    const relays = (await app.call("GET", "/api/relays")).body.relays;
    expect(relays).toEqual([expect.objectContaining({ id: "direct", circuit: "closed", health: expect.objectContaining({ ok: true, platform: "test" }) })]);
    for (const path of ["/", "/console.js", "/console.css"]) {
      const response = await app.call("GET", path, { bearer: null });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(response.headers.get("content-security-policy")).not.toContain("unsafe-inline");
    }
    const page = (await app.call("GET", "/", { bearer: null })).text;
    expect(page).not.toMatch(/<script>|<style>|style=/);
    expect(page).toContain('<script src="/console.js" defer></script>');
  });
});
