/**
 * The admin side's per-isolate services, built once per app: the admin gate, the copy of the
 * access keys, their rate limiter, the usage recorder, and the platform's way to re-read pool keys.
 */
import { AccessKeyDirectory } from "../access/directory.ts";
import { RateLimiter } from "../access/rate-limit.ts";
import type { WorkerConfig } from "../config/env.ts";
import type { ClientAddress } from "../net/client-address.ts";
import type { Store } from "../store/store.ts";
import { UsageRecorder } from "../usage/recorder.ts";
import { AdminGate } from "./auth.ts";

/** Re-reads the pool keys the platform was configured with (GEMINI_API_KEYS, keys.txt on self-host). */
export type ReloadKeys = () => Promise<string[]>;

/** Everything the admin routes and client resolution share within an isolate. */
export interface AdminServices {
  gate: AdminGate;
  accessKeys: AccessKeyDirectory;
  rateLimiter: RateLimiter;
  usage: UsageRecorder;
  reloadKeys: ReloadKeys;
  /** Name of the platform (`cloudflare`, `node`), shown for the in-process egress. */
  platform: string;
}

/** Builds the services; `reloadKeys` defaults to the keys of the configuration. */
export function createAdminServices(options: {
  config: WorkerConfig;
  store: Store;
  clock: () => number;
  platform: string;
  reloadKeys?: ReloadKeys | undefined;
  /** Who a request comes from, as the platform can vouch for it (throttling of admin credentials). */
  clientAddress: ClientAddress;
  onBackgroundError: (error: unknown) => void;
}): AdminServices {
  const { config, store, clock } = options;
  return {
    gate: new AdminGate(store, config.adminKeys, clock, config.admin.sessionHours, options.clientAddress),
    accessKeys: new AccessKeyDirectory(store, { refreshMs: config.admin.accessKeyRefreshMs, clock, onBackgroundError: options.onBackgroundError }),
    rateLimiter: new RateLimiter(clock),
    usage: new UsageRecorder(store, {
      flushMs: config.admin.usageFlushMs,
      retentionDays: config.admin.usageRetentionDays,
      requestLogLimit: config.admin.requestLogLimit,
      clock,
      onError: options.onBackgroundError,
    }),
    reloadKeys: options.reloadKeys ?? (async () => config.poolKeys),
    platform: options.platform,
  };
}
