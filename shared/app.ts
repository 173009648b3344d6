/**
 * The resume worker, built from injected dependencies so that every platform (Cloudflare, Node)
 * runs the same code: auth, routing over (key × egress), streaming back unbuffered.
 */
import { Hono, type Context } from "hono";
import type { WorkerConfig } from "./config/env.ts";
import type { Egress } from "./egress/egress.ts";
import { requireAdmin } from "./admin/auth.ts";
import { statusDocument } from "./admin/status.ts";
import { GemrelayError, UpstreamResponseError, geminiErrorResponse } from "./errors.ts";
import { parseGeminiPath } from "./gemini/paths.ts";
import { handleNative } from "./native.ts";
import { RelayHealth } from "./routing/relay-health.ts";
import { createPicker, type Picker } from "./routing/strategy.ts";
import { PoolView, type Background } from "./routing/pool-view.ts";
import type { Store } from "./store/store.ts";

/** A structured log line; never carries a secret (keys are masked before they get here). */
export type Logger = (entry: Record<string, unknown>) => void;

/** What a platform entry gives the core. */
export interface AppDependencies {
  config: WorkerConfig;
  store: Store;
  /** Ways out to Gemini (relays, or the in-process egress); at least one. */
  egresses: readonly Egress[];
  /** Name reported by /health, e.g. `cloudflare` or `node`. */
  platform: string;
  clock?: () => number;
  log?: Logger;
}

/** Everything a request handler needs, resolved once per app. */
export interface AppContext {
  config: WorkerConfig;
  store: Store;
  egresses: readonly Egress[];
  pool: PoolView;
  keyPicker: Picker;
  relayPicker: Picker;
  relayHealth: RelayHealth;
  clock: () => number;
  log: Logger;
}

/** Fire-and-forget on Node; `waitUntil` where the platform offers it. */
function backgroundOf(c: Context): Background {
  try {
    const executionContext = c.executionCtx;
    return (task) => executionContext.waitUntil(task);
  } catch {
    return (task) => void task.catch(() => undefined);
  }
}

/** Builds the resume worker's HTTP app. */
export function createApp(dependencies: AppDependencies): Hono {
  const clock = dependencies.clock ?? Date.now;
  const log = dependencies.log ?? ((entry) => console.log(JSON.stringify(entry)));
  const context: AppContext = {
    config: dependencies.config,
    store: dependencies.store,
    egresses: dependencies.egresses,
    clock,
    log,
    keyPicker: createPicker(dependencies.config.routing.keyStrategy),
    relayPicker: createPicker(dependencies.config.routing.relayStrategy),
    relayHealth: new RelayHealth(dependencies.config.circuit, clock),
    pool: new PoolView(dependencies.store, {
      refreshMs: dependencies.config.poolRefreshMs,
      clock,
      onBackgroundError: (error) => log({ level: "error", event: "store.write", message: String(error) }),
    }),
  };

  const app = new Hono();

  app.onError((error) => {
    if (error instanceof UpstreamResponseError) return error.toResponse();
    if (error instanceof GemrelayError) return geminiErrorResponse(error);
    log({ level: "error", event: "unhandled", message: error instanceof Error ? error.message : String(error) });
    return geminiErrorResponse(new GemrelayError("Internal error in gemrelay.", 500));
  });

  app.get("/health", (c) =>
    c.json({
      ok: true,
      service: "gemrelay",
      platform: dependencies.platform,
      egresses: context.egresses.length,
      configured: context.config.accessKeys.length > 0,
    }),
  );

  app.get("/status", async (c) => {
    requireAdmin(c.req.raw, context.config.adminKeys);
    return c.json(await statusDocument(context));
  });

  app.all("*", async (c) => {
    const url = new URL(c.req.url);
    const route = parseGeminiPath(url.pathname);
    if (route === null) {
      throw new GemrelayError(`No route for ${c.req.method} ${url.pathname}. Gemini paths start with /v1beta/, /v1/, /v1alpha/ or /upload/.`, 404);
    }
    return handleNative(c.req.raw, url, route, context, backgroundOf(c));
  });

  return app;
}
