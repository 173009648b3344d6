/**
 * Self-host scale-out: several instances on one Redis (REDIS_URL). Builds the Redis store behind
 * the resilient wrapper, and the {@link Cluster} the core uses: a pub/sub channel that tells the
 * other instances to re-read the pool after a change, a shared round-robin cursor (INCR), and
 * the health shown on /health and /status; plus the shared budget counter (redis-budgets.ts).
 */
import { randomUUID } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import type { BudgetCounter } from "../../shared/budget/counter.ts";
import type { Cluster, ClusterHealth } from "../../shared/store/cluster.ts";
import type { Store } from "../../shared/store/store.ts";
import { redisBudgetCounter } from "./redis-budgets.ts";
import { RedisStore } from "./redis-store.ts";
import { ResilientStore } from "./resilient-store.ts";

/** An open Redis-backed state: the store to use, the cluster signals, and how to close both. */
export interface RedisStateHandle {
  store: Store;
  cluster: Cluster;
  /** Budget counts shared by the instances. */
  budgetCounter: BudgetCounter;
  close(): Promise<void>;
}

/** Options of {@link openRedisState}. */
export interface RedisStateOptions {
  /** Namespace of every Redis key and of the channel (REDIS_PREFIX, default `gemrelay`). */
  prefix?: string;
  /** Most writes queued while Redis is unreachable (default 10 000). */
  maxQueued?: number;
  /** How long to wait for Redis at start (default 10 s). */
  connectWaitMs?: number;
  log?: (entry: Record<string, unknown>) => void;
}

/**
 * Fail fast instead of queueing inside ioredis (the resilient store queues what matters), a short
 * command timeout so that a hung Redis never holds a client request, and reconnects forever.
 */
const connectionOptions: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  commandTimeout: 500,
  connectTimeout: 2_000,
  maxRetriesPerRequest: 0,
  retryStrategy: (times) => Math.min(100 * times, 1_000),
};

/** Longest wait for the shared round-robin cursor before a pick uses the local one. */
const cursorWaitMs = 100;

/** Connects to `url` and builds the shared state; rejects when Redis cannot be reached at start. */
export async function openRedisState(url: string, options: RedisStateOptions = {}): Promise<RedisStateHandle> {
  const prefix = options.prefix ?? "gemrelay";
  const channel = `${prefix}:changes`;
  const instance = randomUUID();
  const log = options.log ?? ((entry) => console.log(JSON.stringify(entry)));
  const redis = new Redis(url, connectionOptions);
  // The subscriber keeps ioredis' own queue so that it re-subscribes by itself after a reconnect.
  const subscriber = new Redis(url, { ...connectionOptions, enableOfflineQueue: true, maxRetriesPerRequest: null });
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  let localCursor = 0;
  const healthListeners = new Set<(health: ClusterHealth) => void>();
  let reportedState: ClusterHealth["state"] = "ok";
  /** Tells the health listeners about a change of state, once per change. */
  const checkHealth = () => {
    const health = currentHealth();
    if (health.state === reportedState) return;
    reportedState = health.state;
    for (const listener of healthListeners) listener(health);
  };

  const store = new ResilientStore(new RedisStore(redis, { prefix }), {
    maxQueued: options.maxQueued ?? 10_000,
    // Fire and forget: a lost message only delays the others until their next refresh.
    changed: () => void redis.publish(channel, instance).catch(() => undefined),
    // The insertion sequence is never deleted: its absence means Redis lost its data.
    lostData: async () => (await redis.exists(`${prefix}:keys:seq`)) === 0,
    log,
  });

  function currentHealth(): ClusterHealth {
    return {
      state: store.degraded ? "degraded" : "ok",
      detail: { driver: "redis", connection: redis.status, queuedWrites: store.queued, droppedWrites: store.dropped, lastError: store.lastError },
    };
  }

  redis.on("error", (error: Error) => store.down(error));
  redis.on("close", () => {
    if (!store.degraded) log({ level: "warn", event: "redis.down", message: "Redis connection lost; serving from the last snapshot" });
    store.down(new Error("connection closed"));
    checkHealth();
  });
  redis.on("ready", () => {
    log({ level: "info", event: "redis.up" });
    // Changes made meanwhile by others (and ours, once replayed) must be read again.
    void store.up().then(() => (notify(), checkHealth()));
  });
  subscriber.on("error", () => undefined);
  subscriber.on("message", (_channel: string, sender: string) => {
    if (sender !== instance) notify();
  });
  subscriber.on("ready", notify);

  const wait = options.connectWaitMs ?? 10_000;
  try {
    await withTimeout(Promise.all([redis.connect(), subscriber.connect()]), wait, `Redis at ${redactUrl(url)} did not answer within ${wait} ms`);
    await subscriber.subscribe(channel);
  } catch (error) {
    redis.disconnect();
    subscriber.disconnect();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot reach Redis at ${redactUrl(url)} (REDIS_URL): ${reason}`);
  }
  // A failed command (a timeout) with the socket still up gives no "ready" event: retry on a timer.
  const retry = setInterval(() => {
    if (store.degraded && redis.status === "ready") void store.up().then(notify);
    checkHealth();
  }, 1_000);
  retry.unref();

  const cluster: Cluster = {
    onChange: (listener) => void listeners.add(listener),
    async nextCursor(name) {
      localCursor += 1;
      if (redis.status !== "ready" || store.degraded) return localCursor;
      // On the hot path: a slow Redis must not hold the pick longer than this.
      let timer: NodeJS.Timeout | undefined;
      const fallback = new Promise<number>((resolve) => (timer = setTimeout(() => resolve(localCursor), cursorWaitMs)));
      try {
        return await Promise.race([redis.incr(`${prefix}:cursor:${name}`).catch(() => localCursor), fallback]);
      } finally {
        clearTimeout(timer);
      }
    },
    onHealthChange: (listener) => void healthListeners.add(listener),
    health: currentHealth,
  };

  return {
    store,
    cluster,
    budgetCounter: redisBudgetCounter(redis, prefix),
    close: async () => {
      clearInterval(retry);
      listeners.clear();
      healthListeners.clear();
      subscriber.disconnect();
      // Give queued writes one chance to land before leaving.
      if (store.queued > 0 && redis.status === "ready") await store.up().catch(() => undefined);
      redis.disconnect();
    },
  };
}

/** `url` without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "REDIS_URL";
  }
}

function withTimeout<T>(task: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    task.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}
