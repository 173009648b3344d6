/**
 * Issue #14, findings 3 and 14 (admin lock-out, x-admin-key): on the self-host bundle and on the
 * worker bundle under workerd, over real HTTP. An anonymous client must not be able to lock the
 * real admin out: wrong keys are throttled per client address only, the address comes from the
 * platform (the socket, X-Forwarded-For only from TRUSTED_PROXIES; cf-connecting-ip on
 * Cloudflare), and forged forwarding headers change nothing. Every admin auth path counts: login,
 * Bearer on /api/* and /status; a valid session cookie is never throttled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Target } from "../helpers/targets.ts";
import { adminTargets, adminKey, forgedHeaders, sleep, type AdminTarget } from "./admin-targets.ts";

describe.each(adminTargets)("admin lock-out on the %s", (_name, start) => {
  let target: Target & AdminTarget;

  beforeAll(async () => {
    target = await start({});
  });
  afterAll(async () => {
    await target?.stop();
  });

  const login = (key: string, headers: Record<string, string>) =>
    fetch(`${target.url}/api/login`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ adminKey: key }) });
  const bearer = (path: string, key: string, headers: Record<string, string>) => fetch(`${target.url}${path}`, { headers: { authorization: `Bearer ${key}`, ...headers } });

  it("100 wrong keys from one address do not lock out another address, nor that address once it has waited", async () => {
    const attacker = "203.0.113.5";
    const statuses: number[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, index) => login(`wrong-${batch}-${index}`, target.from(attacker, forgedHeaders(batch * 10 + index)))));
      statuses.push(...answers.map((answer) => answer.status));
      await Promise.all(answers.map((answer) => answer.arrayBuffer()));
    }
    // Five wrong keys are checked (401); every later one is refused unchecked while the address waits.
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(95);

    // The right key from another address: never refused because of the attacker's failures.
    const admin = "198.51.100.7";
    const fromAdmin = await login(adminKey, target.from(admin, forgedHeaders(1)));
    expect(fromAdmin.status).toBe(200);
    const cookie = (fromAdmin.headers.get("set-cookie") ?? "").split(";")[0]!;
    expect((await bearer("/api/keys", adminKey, target.from(admin))).status).toBe(200);
    expect((await bearer("/status", adminKey, target.from(admin))).status).toBe(200);

    // The attacker's address waits, whatever forwarding headers it forges, and says how long.
    const blocked = await login(adminKey, target.from(attacker, forgedHeaders(7)));
    expect(blocked.status).toBe(429);
    const body = (await blocked.json()) as { error: { details: { retryDelay: string }[] } };
    const wait = Number(/^(\d+)s$/.exec(body.error.details[0]!.retryDelay)?.[1]);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect((await bearer("/api/keys", adminKey, target.from(attacker))).status).toBe(429);
    // A valid session is not a guess: it works from any address, the waiting one included.
    expect((await fetch(`${target.url}/api/keys`, { headers: { cookie, ...target.from(attacker) } })).status).toBe(200);

    // Once the back-off has passed, the right key from the same address succeeds.
    await sleep(wait * 1_000 + 200);
    expect((await login(adminKey, target.from(attacker))).status).toBe(200);
  });

  it("counts wrong Bearer keys on /status and /api/* like wrong logins", async () => {
    const address = "192.0.2.44";
    for (let attempt = 0; attempt < 5; attempt++) {
      const path = attempt % 2 === 0 ? "/status" : "/api/keys";
      expect((await bearer(path, `wrong-${attempt}`, target.from(address, forgedHeaders(attempt)))).status).toBe(401);
    }
    expect((await login(adminKey, target.from(address))).status).toBe(429);
    expect((await login(adminKey, target.from("192.0.2.45"))).status).toBe(200);
  });

  it("accepts the admin key only as Authorization: Bearer (x-admin-key is not a credential)", async () => {
    const answer = await fetch(`${target.url}/api/keys`, { headers: { "x-admin-key": adminKey, ...target.from("192.0.2.90") } });
    expect(answer.status).toBe(401);
  });
});

describe("forwarding headers from a client that is not a trusted proxy (self-host)", () => {
  let target: Target & AdminTarget;

  beforeAll(async () => {
    // A proxy is trusted, but not the loopback peer the test connects from.
    target = await adminTargets[0]![1]({ TRUSTED_PROXIES: "10.0.0.0/8, fd00::/8" });
  });
  afterAll(async () => {
    await target?.stop();
  });

  it("ignores X-Forwarded-For and X-Real-IP: forging them neither spreads guesses nor frees the address", async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const answer = await fetch(`${target.url}/api/login`, {
        method: "POST",
        headers: { "content-type": "application/json", ...forgedHeaders(attempt) },
        body: JSON.stringify({ adminKey: `wrong-${attempt}` }),
      });
      expect(answer.status).toBe(401);
    }
    const answer = await fetch(`${target.url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json", ...forgedHeaders(99) },
      body: JSON.stringify({ adminKey }),
    });
    expect(answer.status).toBe(429);
  });
});
