/**
 * The self-host server: resume worker and in-process egress in one Node process. State in a
 * SQLite file, or on Redis (REDIS_URL) when several instances share one pool.
 */
import { basename, join, resolve } from "node:path";
import type { AddressInfo } from "node:net";
import { createApp } from "../../shared/app.ts";
import { readWorkerConfig } from "../../shared/config/env.ts";
import { rejectedKeyEntries } from "../../shared/keys/validate.ts";
import { inProcessEgress, relayEgress, relayId } from "../../shared/egress/egress.ts";
import { completeSecrets, readKeysFile } from "./bootstrap.ts";
import { listen, readHttpTimeouts, type ConnectionBindings } from "./http-server.ts";
import { openSealedStore } from "../../shared/store/sealed.ts";
import { openSqliteStore } from "./sqlite-store.ts";
import { ensurePrivateDirectory, looserThanPrivate } from "./private-files.ts";
import { nodeFetch } from "./http-fetch.ts";
import { proxyFetch } from "./proxy-fetch.ts";
import { publicFetch } from "./public-fetch.ts";
import { batchedLog } from "./log.ts";
import { parseTrustedProxies, proxiedClientAddress } from "../../shared/net/client-address.ts";
import { NodeUpgrades, nodeLiveConnect } from "./live.ts";

/** A running self-host server. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the server from an environment (PORT, DATA_DIR, GEMINI_API_KEYS, AUTH_KEY, …). */
export async function startServer(env: NodeJS.ProcessEnv, print: (message: string) => void = console.log): Promise<RunningServer> {
  const dataDir = resolve(env.DATA_DIR ?? "data");
  ensurePrivateDirectory(dataDir);
  const config = readWorkerConfig(completeSecrets(env, dataDir, print));
  if (config.relays.length > 0 && !config.relayToken) throw new Error("RELAY_URLS is set but RELAY_TOKEN is not: set the relay hop secret.");
  const redisUrl = env.REDIS_URL?.trim();
  // Loaded only when asked for: ioredis otherwise costs every self-host ~9 MB of memory at start.
  const redisModule = redisUrl ? await import("./redis-cluster.ts") : null;
  const redis = redisUrl && redisModule ? await redisModule.openRedisState(redisUrl, { prefix: env.REDIS_PREFIX?.trim() || "gemrelay" }) : null;
  const databaseFile = join(dataDir, "gemrelay.sqlite");
  const { store: database, close: closeStore } = redis ? { store: redis.store, close: () => void redis.close() } : openSqliteStore(databaseFile);
  // Pool keys sealed at rest when ENCRYPTION_KEY is set (keys stored in clear before are sealed now).
  const store = await openSealedStore(database, config.admin.encryptionKey);
  const keysFile = resolve(env.KEYS_FILE ?? "keys.txt");
  // What may hold pool keys or secrets in clear: reported when open to other users, never changed.
  const exposed = [dataDir, join(dataDir, "secrets.json"), keysFile, ...(redis ? [] : ["", "-wal", "-shm"].map((suffix) => databaseFile + suffix))];
  for (const warning of looserThanPrivate(exposed)) print(`Warning: ${warning}`);
  for (const entry of rejectedKeyEntries("GEMINI_API_KEYS", config.rejectedPoolKeys)) batchedLog(entry);
  // Read at start and on POST /admin/reload-keys; malformed lines are logged (masked) each time, never added.
  const configuredKeys = async () => {
    const file = readKeysFile(keysFile);
    for (const entry of rejectedKeyEntries(basename(keysFile), file.rejected)) batchedLog(entry);
    return [...config.poolKeys, ...file.keys];
  };
  await store.addKeys(await configuredKeys(), Date.now());

  const egresses =
    config.relays.length > 0
      ? config.relays.map((relay) => relayEgress(relayId(relay.url), relay.url, config.relayToken ?? "", relay.weight, nodeFetch, relay.maxStreamMs))
      : config.proxies.length > 0
        ? // Through the proxies only: the direct connection would show this host's own address.
          config.proxies.map((proxy) => inProcessEgress(config.upstream, proxyFetch(new URL(proxy.url)), undefined, { id: proxy.id, weight: proxy.weight, probeUpstream: true }))
        : [inProcessEgress(config.upstream, nodeFetch, nodeLiveConnect)];
  // The socket's peer, and X-Forwarded-For only when that peer is one of TRUSTED_PROXIES.
  const clientAddress = proxiedClientAddress(parseTrustedProxies(env.TRUSTED_PROXIES), (c) => (c.env as ConnectionBindings).incoming.socket.remoteAddress);
  // Live API upgrades: relays cannot carry WebSockets, the in-process egress can (live.ts).
  const upgrades = new NodeUpgrades();
  const app = createApp({ config, store, egresses, platform: "node", log: batchedLog, imageFetch: publicFetch, reloadKeys: configuredKeys, clientAddress, live: upgrades, ...(redis ? { cluster: redis.cluster, budgetCounter: redis.budgetCounter } : {}) });

  const port = Number(env.PORT ?? 8787);
  const hostname = env.HOST ?? "0.0.0.0";
  // Node has no waitUntil: background work (state writes) simply runs on after the response.
  const executionContext = { waitUntil: (task: Promise<unknown>) => void task.catch(() => undefined), passThroughOnException: () => undefined, props: {} };
  const server = await listen(async (request, bindings) => app.fetch(request, bindings, executionContext), { port, hostname, timeouts: readHttpTimeouts(env), upgrades });
  const address = server.address() as AddressInfo;
  const url = `http://${hostname === "0.0.0.0" ? "127.0.0.1" : hostname}:${address.port}`;
  const keyCount = (await store.listKeys()).length;
  print(`gemrelay listening on ${url} (${keyCount} pool keys, egress: ${egresses.map((egress) => egress.id).join(", ")}, data: ${redisUrl && redisModule ? redisModule.redactUrl(redisUrl) : dataDir})`);

  return {
    url,
    close: () =>
      new Promise((done) => {
        upgrades.closeAll();
        server.close(() => {
          closeStore();
          done();
        });
        // Streams still open would hold close() forever; end them after a grace period.
        setTimeout(() => (server as { closeAllConnections?: () => void }).closeAllConnections?.(), 2_000).unref();
      }),
  };
}
