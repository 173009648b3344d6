/**
 * The self-host server: resume worker and in-process egress in one Node process. State in a
 * SQLite file, or on Redis (REDIS_URL) when several instances share one pool.
 */
import { join, resolve } from "node:path";
import type { AddressInfo } from "node:net";
import { createApp } from "../../shared/app.ts";
import { readWorkerConfig } from "../../shared/config/env.ts";
import { inProcessEgress, relayEgress, relayId } from "../../shared/egress/egress.ts";
import { completeSecrets, readKeysFile } from "./bootstrap.ts";
import { listen, readHttpTimeouts } from "./http-server.ts";
import { openSealedStore } from "../../shared/store/sealed.ts";
import { openSqliteStore } from "./sqlite-store.ts";
import { nodeFetch } from "./http-fetch.ts";
import { batchedLog } from "./log.ts";

/** A running self-host server. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the server from an environment (PORT, DATA_DIR, GEMINI_API_KEYS, AUTH_KEY, …). */
export async function startServer(env: NodeJS.ProcessEnv, print: (message: string) => void = console.log): Promise<RunningServer> {
  const dataDir = resolve(env.DATA_DIR ?? "data");
  const config = readWorkerConfig(completeSecrets(env, dataDir, print));
  if (config.relays.length > 0 && !config.relayToken) throw new Error("RELAY_URLS is set but RELAY_TOKEN is not: set the relay hop secret.");
  const redisUrl = env.REDIS_URL?.trim();
  // Loaded only when asked for: ioredis otherwise costs every self-host ~9 MB of memory at start.
  const redisModule = redisUrl ? await import("./redis-cluster.ts") : null;
  const redis = redisUrl && redisModule ? await redisModule.openRedisState(redisUrl, { prefix: env.REDIS_PREFIX?.trim() || "gemrelay" }) : null;
  const { store: database, close: closeStore } = redis
    ? { store: redis.store, close: () => void redis.close() }
    : openSqliteStore(join(dataDir, "gemrelay.sqlite"));
  // Pool keys sealed at rest when ENCRYPTION_KEY is set (keys stored in clear before are sealed now).
  const store = await openSealedStore(database, config.admin.encryptionKey);
  const keysFile = resolve(env.KEYS_FILE ?? "keys.txt");
  const configuredKeys = async () => [...config.poolKeys, ...readKeysFile(keysFile)];
  await store.addKeys(await configuredKeys(), Date.now());

  const egresses =
    config.relays.length > 0
      ? config.relays.map((relay) => relayEgress(relayId(relay.url), relay.url, config.relayToken ?? "", relay.weight, nodeFetch, relay.maxStreamMs))
      : [inProcessEgress(config.upstream, nodeFetch)];
  const app = createApp({ config, store, egresses, platform: "node", log: batchedLog, reloadKeys: configuredKeys, ...(redis ? { cluster: redis.cluster, budgetCounter: redis.budgetCounter } : {}) });

  const port = Number(env.PORT ?? 8787);
  const hostname = env.HOST ?? "0.0.0.0";
  // Node has no waitUntil: background work (state writes) simply runs on after the response.
  const executionContext = { waitUntil: (task: Promise<unknown>) => void task.catch(() => undefined), passThroughOnException: () => undefined, props: {} };
  const server = await listen(async (request) => app.fetch(request, {}, executionContext), { port, hostname, timeouts: readHttpTimeouts(env) });
  const address = server.address() as AddressInfo;
  const url = `http://${hostname === "0.0.0.0" ? "127.0.0.1" : hostname}:${address.port}`;
  const keyCount = (await store.listKeys()).length;
  print(`gemrelay listening on ${url} (${keyCount} pool keys, egress: ${egresses.map((egress) => egress.id).join(", ")}, data: ${redisUrl && redisModule ? redisModule.redactUrl(redisUrl) : dataDir})`);

  return {
    url,
    close: () =>
      new Promise((done) => {
        server.close(() => {
          closeStore();
          done();
        });
        // Streams still open would hold close() forever; end them after a grace period.
        setTimeout(() => (server as { closeAllConnections?: () => void }).closeAllConnections?.(), 2_000).unref();
      }),
  };
}
