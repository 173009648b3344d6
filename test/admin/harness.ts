/**
 * An in-process app for admin API tests: the real createApp over a memory Store, egress straight
 * to a simulator, every log line and response body kept so tests can assert no secret leaks.
 */
import { createApp } from "../../shared/app.ts";
import { readWorkerConfig } from "../../shared/config/env.ts";
import { inProcessEgress } from "../../shared/egress/egress.ts";
import { MemoryStore } from "../../shared/store/memory.ts";
import { cloudflareClientAddress } from "../../shared/net/client-address.ts";
import type { GeminiSimulator } from "../sim/index.ts";

export const adminKey = "admin-key-for-tests-0123456789";
export const authKey = "sk-env-access-key-0123456789";

/** An app under test and what it said. */
export interface AdminHarness {
  store: MemoryStore;
  logs: string[];
  /** Every response body read through `call`, for leak checks. */
  bodies: string[];
  call(method: string, path: string, init?: { body?: unknown; headers?: Record<string, string>; bearer?: string | null }): Promise<{ status: number; body: any; headers: Headers; text: string }>;
  /** A generate request as a client. */
  generate(key: string, model?: string, text?: string): Promise<{ status: number; body: any }>;
  /** Resolves once the usage recorder has written what it had. */
  settle(): Promise<void>;
}

/** Builds the app with `env` over the defaults (AUTH_KEY, ADMIN_KEY, upstream = simulator, instant usage flushes). */
export function startAdminApp(
  sim: GeminiSimulator,
  env: Record<string, string> = {},
  reloadKeys?: () => Promise<string[]>,
  store = new MemoryStore(),
): AdminHarness {
  const logs: string[] = [];
  const bodies: string[] = [];
  const config = readWorkerConfig({ AUTH_KEY: authKey, ADMIN_KEY: adminKey, GEMINI_UPSTREAM: sim.url, USAGE_FLUSH_MS: "0", POOL_REFRESH_MS: "0", ...env });
  // Seeded as the platform entries do; the memory store applies it before its promise settles.
  void store.addKeys(config.poolKeys, Date.now());
  const app = createApp({
    config,
    store,
    egresses: [inProcessEgress(config.upstream)],
    platform: "test",
    // Tests tell clients apart by cf-connecting-ip, as the worker does.
    clientAddress: cloudflareClientAddress,
    log: (entry) => logs.push(JSON.stringify(entry)),
    ...(reloadKeys ? { reloadKeys } : {}),
  });
  const pending: Promise<unknown>[] = [];
  const executionContext = { waitUntil: (task: Promise<unknown>) => void pending.push(task.catch(() => undefined)), passThroughOnException: () => undefined, props: {} };
  const call: AdminHarness["call"] = async (method, path, init = {}) => {
    const headers = new Headers(init.headers);
    const bearer = init.bearer === undefined ? adminKey : init.bearer;
    if (bearer !== null) headers.set("authorization", `Bearer ${bearer}`);
    if (init.body !== undefined) headers.set("content-type", "application/json");
    const response = await app.fetch(
      new Request(`http://gemrelay.test${path}`, { method, headers, ...(init.body !== undefined ? { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) } : {}) }),
      {},
      executionContext,
    );
    const text = await response.text();
    bodies.push(text);
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: response.status, body, headers: response.headers, text };
  };
  return {
    store,
    logs,
    bodies,
    call,
    generate: async (key, model = "gemini-2.5-flash", text = "hello") => {
      const result = await call("POST", `/v1beta/models/${model}:generateContent`, {
        bearer: null,
        headers: { "x-goog-api-key": key },
        body: { contents: [{ role: "user", parts: [{ text }] }] },
      });
      return { status: result.status, body: result.body };
    },
    settle: async () => {
      while (pending.length > 0) await Promise.all(pending.splice(0));
    },
  };
}
