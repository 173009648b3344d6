/** Chaos targets: the self-host bundle, and the worker bundle under workerd behind a relay bundle. */
import path from "node:path";
import { startRelay, startWorker } from "../helpers/chain.ts";
import { startSelfHost, temporaryDirectory } from "../helpers/process.ts";
import type { GeminiSimulator } from "../sim/index.ts";
import type { ChaosTarget } from "./chaos.ts";

const accessKey = "sk-chaos-0123456789abcdef";
const adminKey = "admin-chaos-0123456789abcdef";
const relayToken = "relay-chaos-0123456789abcdef";

/** Short stall timeouts so stalled streams are noticed quickly; a rate-limited key cools briefly. */
const resumeEnvironment = { RESUME_FIRST_BYTE_TIMEOUT_MS: "1500", RESUME_CHUNK_TIMEOUT_MS: "400", RESUME_MAX_CONTINUATIONS: "6" };

/** A started target and how to stop it. */
export type RunningChaosTarget = ChaosTarget & { stop(): Promise<unknown> };

/** The self-host bundle with `keys` in its pool. */
export async function selfHostTarget(sim: GeminiSimulator, keys: readonly string[]): Promise<RunningChaosTarget> {
  const dataDir = temporaryDirectory("gemrelay-chaos-");
  const server = await startSelfHost({
    ...resumeEnvironment,
    GEMINI_API_KEYS: keys.join(","),
    AUTH_KEY: accessKey,
    ADMIN_KEY: adminKey,
    DATA_DIR: dataDir,
    KEYS_FILE: path.join(dataDir, "keys.txt"),
    GEMINI_UPSTREAM: sim.url,
  });
  return {
    url: server.url,
    accessKey,
    adminKey,
    alive: () => server.process.exitCode === null && server.process.signalCode === null,
    stop: () => server.stop(),
  };
}

/** The worker bundle under workerd, egress through a Netlify relay bundle under Node. */
export async function chainTarget(sim: GeminiSimulator, keys: readonly string[]): Promise<RunningChaosTarget> {
  const relay = await startRelay({ platform: "netlify", id: "chaos", env: { RELAY_TOKEN: relayToken, GEMINI_UPSTREAM: sim.url } });
  const worker = await startWorker({ ...resumeEnvironment, GEMINI_API_KEYS: keys.join(","), AUTH_KEY: accessKey, ADMIN_KEY: adminKey, RELAY_TOKEN: relayToken, RELAY_URLS: relay.url });
  let stopped = false;
  return {
    url: worker.url,
    accessKey,
    adminKey,
    alive: () => !stopped,
    stop: async () => {
      stopped = true;
      await worker.stop();
      await relay.stop();
    },
  };
}
