/**
 * The self-host server: resume worker and in-process egress in one Node process. State in a
 * SQLite file, or on Redis (REDIS_URL) when several instances share one pool.
 */
import { join, resolve } from "node:path";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { createApp } from "../../shared/app.ts";
import { readWorkerConfig } from "../../shared/config/env.ts";
import { inProcessEgress, relayEgress, relayId } from "../../shared/egress/egress.ts";
import { completeSecrets, readKeysFile } from "./bootstrap.ts";
import { openSealedStore } from "../../shared/store/sealed.ts";
import { openSqliteStore } from "./sqlite-store.ts";
import { openRedisState, redactUrl } from "./redis-cluster.ts";

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
  const redis = redisUrl ? await openRedisState(redisUrl, { prefix: env.REDIS_PREFIX?.trim() || "gemrelay" }) : null;
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
      ? config.relays.map((relay) => relayEgress(relayId(relay.url), relay.url, config.relayToken ?? "", relay.weight))
      : [inProcessEgress(config.upstream)];
  const app = createApp({ config, store, egresses, platform: "node", reloadKeys: configuredKeys, ...(redis ? { cluster: redis.cluster } : {}) });

  const port = Number(env.PORT ?? 8787);
  const hostname = env.HOST ?? "0.0.0.0";
  const server: ServerType = await new Promise((done) => {
    // Node has no waitUntil: background work (state writes) simply runs on after the response.
    const executionContext = { waitUntil: (task: Promise<unknown>) => void task.catch(() => undefined), passThroughOnException: () => undefined, props: {} };
    const started = serve({ fetch: (request) => app.fetch(request, {}, executionContext), port, hostname }, () => done(started));
  });
  const address = server.address() as AddressInfo;
  const url = `http://${hostname === "0.0.0.0" ? "127.0.0.1" : hostname}:${address.port}`;
  const keyCount = (await store.listKeys()).length;
  print(`gemrelay listening on ${url} (${keyCount} pool keys, egress: ${egresses.map((egress) => egress.id).join(", ")}, data: ${redisUrl ? redactUrl(redisUrl) : dataDir})`);

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
