/**
 * Issue #14, findings 4 and 14 (anonymous CPU and memory exhaustion through admin bodies; the
 * restore limit the README states): on the self-host bundle and the worker bundle under workerd.
 * Login bodies are limited to 4 KiB and read only from an address that may try; every other
 * admin route authenticates before it reads (1 MiB, restore 8 MiB); nesting is refused while
 * scanning, before JSON.parse. A flood of 5,000,000-`[` bodies gets 413s while the admin is served.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Target } from "../helpers/targets.ts";
import { openSocket, readResponse, requestBytes, type RawResponse } from "../badinput/raw-http.ts";
import { adminKey, adminTargets, residentBytes, type AdminTarget } from "./admin-targets.ts";

const bracketBytes = 5_000_000;

/**
 * Starts a request whose body is `total` bytes of `[` but sends only its first `sent` bytes, then
 * waits for the answer: a server that answers has refused the body without waiting for (or
 * holding) the rest. `chunked`: no Content-Length, so only reading can bound the body. Raw
 * sockets, because a server that refuses early may reset the connection under fetch's writes.
 */
async function refusedEarly(url: string, method: string, path: string, headers: Record<string, string>, options: { total: number; sent: number; chunked?: boolean; authorized?: boolean }): Promise<RawResponse> {
  const framing: [string, string][] = options.chunked ? [["transfer-encoding", "chunked"]] : [["content-length", String(options.total)]];
  const credential: [string, string][] = options.authorized ? [["authorization", `Bearer ${adminKey}`]] : [];
  const head = requestBytes(method, path, [["content-type", "application/json"], ...framing, ...credential, ...Object.entries(headers)]);
  const prefix = "[".repeat(options.sent);
  const body = options.chunked ? `${options.sent.toString(16)}\r\n${prefix}\r\n` : prefix;
  const socket = await openSocket(url);
  try {
    const answer = readResponse(socket, 60_000);
    socket.write(Buffer.concat([head, Buffer.from(body)]));
    return await answer;
  } finally {
    socket.destroy();
  }
}

describe.each(adminTargets)("admin bodies on the %s", (name, start) => {
  let target: Target & AdminTarget & { output(): string };

  beforeAll(async () => {
    target = await start({});
  });
  afterAll(async () => {
    await target?.stop();
    expect(target.output()).not.toContain(adminKey);
  });

  const admin = (path: string, init: RequestInit & { bearer?: boolean } = {}) =>
    fetch(`${target.url}${path}`, {
      ...init,
      headers: { "content-type": "application/json", ...(init.bearer === false ? {} : { authorization: `Bearer ${adminKey}` }), ...(init.headers as Record<string, string>) },
    });

  it("refuses 16 concurrent 5,000,000-[ login bodies with 413 (declared or chunked) before they are sent and serves the admin meanwhile", async () => {
    const before = target.pid === undefined ? 0 : residentBytes(target.pid);
    // 8 declaring their 5,000,000 bytes, 8 chunked: each sends 16 KiB of it and must be refused without the rest.
    const flood = Array.from({ length: 16 }, (_, index) =>
      refusedEarly(target.url, "POST", "/api/login", target.from(`203.0.113.${index + 1}`), { total: bracketBytes, sent: 16_384, chunked: index % 2 === 1 }),
    );
    const good = await admin("/api/keys");
    expect(good.status).toBe(200);
    for (const answer of await Promise.all(flood)) expect(answer.status).toBe(413);
    expect((await admin("/api/keys")).status).toBe(200);
    if (target.pid !== undefined) expect(residentBytes(target.pid) - before).toBeLessThan(96 * 1024 * 1024);
  });

  it("refuses a login body nested deeper than 100 levels with 400 before parsing it", async () => {
    const answer = await fetch(`${target.url}/api/login`, { method: "POST", headers: { "content-type": "application/json", ...target.from("198.51.100.20") }, body: "[".repeat(4_000) });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toContain("nests deeper than 100 levels");
    const tooLong = await fetch(`${target.url}/api/login`, { method: "POST", headers: { "content-type": "application/json", ...target.from("198.51.100.20") }, body: JSON.stringify({ adminKey: "x".repeat(5_000) }) });
    expect(tooLong.status).toBe(413);
  });

  it("never reads an unauthenticated body on other admin routes; authenticated ones have their own limits", async () => {
    const routes = [["POST", "/api/keys"], ["POST", "/api/restore"], ["POST", "/api/access-keys"], ["POST", "/api/keys/check"], ["POST", "/admin/reset-keys"], ["PUT", "/api/policy/models"], ["PATCH", "/api/keys/metadata"], ["DELETE", "/api/keys"]] as const;
    for (const [method, path] of routes) {
      const answer = await refusedEarly(target.url, method, path, target.from("198.51.100.30"), { total: bracketBytes, sent: 16_384 });
      expect(answer.status, `${method} ${path}`).toBe(401);
    }
    // Nesting is refused by the scan on an authenticated route too.
    const nested = await admin("/api/keys", { method: "POST", body: `{"keys":${"[".repeat(200_000)}` });
    expect(nested.status).toBe(400);
    expect(((await nested.json()) as { error: { message: string } }).error.message).toContain("nests deeper than 100 levels");
    // 1 MiB for ordinary admin bodies, 8 MiB for a backup: the README's numbers.
    const overOrdinary = await refusedEarly(target.url, "POST", "/api/keys", {}, { total: 1024 * 1024 + 1, sent: 16_384, authorized: true });
    expect(overOrdinary.status).toBe(413);
    const overRestore = await refusedEarly(target.url, "POST", "/api/restore", {}, { total: 9_000_000, sent: 16_384, authorized: true });
    expect(overRestore.status).toBe(413);
    const justUnder = await admin("/api/restore", { method: "POST", body: JSON.stringify({ format: "gemrelay-backup", padding: "x".repeat(2_500_000) }) });
    // Read and validated (a 400 naming a field), not refused for its size.
    expect(justUnder.status, name).toBe(400);
  });
});
