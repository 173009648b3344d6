/**
 * The resume engine in process, for fast tests: the app from shared/app.ts with a memory store and
 * the in-process egress in front of the simulator. The chain tests (test/e2e/resume.test.ts) run
 * the same scenarios through the built bundles.
 */
import { createApp } from "../../shared/app.ts";
import { readWorkerConfig } from "../../shared/config/env.ts";
import { inProcessEgress } from "../../shared/egress/egress.ts";
import { MemoryStore } from "../../shared/store/memory.ts";
import type { GeminiSimulator } from "../sim/index.ts";

/** An in-process app and the log lines it wrote. */
export interface InProcessApp {
  url: string;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  logs: Record<string, unknown>[];
}

/** Access key of the in-process app. */
export const accessKey = "sk-resume-access-0123456789";

/** Builds the app for `sim` with `env` added to a pool of `keys`. */
export async function inProcessApp(sim: GeminiSimulator, keys: string[], env: Record<string, string> = {}): Promise<InProcessApp> {
  const config = readWorkerConfig({ AUTH_KEY: accessKey, ADMIN_KEY: "admin-resume-0123456789", GEMINI_API_KEYS: keys.join(","), ...env });
  const store = new MemoryStore();
  await store.addKeys(config.poolKeys, Date.now());
  const logs: Record<string, unknown>[] = [];
  const app = createApp({ config, store, egresses: [inProcessEgress(sim.url)], platform: "test", log: (entry) => logs.push(entry) });
  const url = "http://gemrelay.test";
  return { url, logs, fetch: (path, init) => Promise.resolve(app.fetch(new Request(url + path, init))) };
}
