/**
 * Issue #14, finding 12 (logout did not end the session): logging out revokes in the Store, so a
 * copied cookie stops working — on the self-host (SQLite), the worker under workerd (Durable
 * Object) and two self-hosts sharing Redis (logout on one, the cookie refused on the other). An
 * anonymous logout can log nobody out.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSelfHost, temporaryDirectory } from "../helpers/process.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";
import type { Target } from "../helpers/targets.ts";
import { accessKey, adminKey, adminTargets } from "./admin-targets.ts";

const consoleHeader = { "x-gemrelay-console": "1" };

/** Logs in on `target` and returns the cookie header value of the new session. */
async function login(target: Target): Promise<string> {
  const answer = await fetch(`${target.url}/api/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ adminKey }) });
  expect(answer.status).toBe(200);
  return (answer.headers.get("set-cookie") ?? "").split(";")[0]!;
}

const withCookie = (target: Target, cookie: string, path = "/api/keys") => fetch(`${target.url}${path}`, { headers: { cookie } });
const logout = (target: Target, headers: Record<string, string>) => fetch(`${target.url}/api/logout`, { method: "POST", headers: { ...consoleHeader, ...headers } });

describe.each(adminTargets)("logout on the %s", (_name, start) => {
  let target: Target;

  beforeAll(async () => {
    target = await start({});
  });
  afterAll(async () => {
    await target?.stop();
  });

  it("revokes the session: the old cookie gets 401 afterwards, and a new login works", async () => {
    const cookie = await login(target);
    expect((await withCookie(target, cookie)).status).toBe(200);
    expect(await (await withCookie(target, cookie, "/api/session")).json()).toEqual({ authenticated: true, method: "session" });
    const answer = await logout(target, { cookie });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("set-cookie")).toMatch(/^gemrelay_session=; .*Max-Age=0/);
    expect((await withCookie(target, cookie)).status).toBe(401);
    expect(await (await withCookie(target, cookie, "/api/session")).json()).toEqual({ authenticated: false });
    const again = await login(target);
    expect((await withCookie(target, again)).status).toBe(200);
  });

  it("ends every console session at logout; an anonymous or forged logout ends none", async () => {
    const [first, second] = [await login(target), await login(target)];
    expect((await logout(target, {})).status).toBe(200);
    expect((await logout(target, { cookie: `${first.slice(0, -4)}AAAA` })).status).toBe(200);
    expect((await logout(target, { cookie: "gemrelay_session=v2.x.99999999999999.y.z" })).status).toBe(200);
    expect((await withCookie(target, first)).status).toBe(200);
    expect((await withCookie(target, second)).status).toBe(200);
    // Without the console header nothing happens (another site's form cannot log the admin out).
    expect((await fetch(`${target.url}/api/logout`, { method: "POST", headers: { cookie: first } })).status).toBe(400);
    expect((await withCookie(target, first)).status).toBe(200);
    expect((await logout(target, { cookie: first })).status).toBe(200);
    expect((await withCookie(target, first)).status).toBe(401);
    expect((await withCookie(target, second)).status).toBe(401);
  });
});

describe("logout on two self-hosts sharing Redis", () => {
  let redis: RedisServer;
  let instances: Target[];

  beforeAll(async () => {
    redis = await startRedis();
    instances = await Promise.all(
      [0, 1].map(() => {
        const dataDir = temporaryDirectory();
        return startSelfHost({ DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), REDIS_URL: redis.url, ADMIN_KEY: adminKey, AUTH_KEY: accessKey });
      }),
    );
  });
  afterAll(async () => {
    await Promise.all((instances ?? []).map((instance) => instance.stop()));
    await redis?.stop();
  });

  it("a session from one instance works on the other until a logout on either ends it on both", async () => {
    const [one, two] = instances as [Target, Target];
    const cookie = await login(one);
    expect((await withCookie(two, cookie)).status).toBe(200);
    expect((await logout(two, { cookie })).status).toBe(200);
    expect((await withCookie(one, cookie)).status).toBe(401);
    expect((await withCookie(two, cookie)).status).toBe(401);
  });
});
