/**
 * The resume worker, built from injected dependencies so that every platform (Cloudflare, Node)
 * runs the same code: auth, routing over (key × egress), streaming back unbuffered.
 */
import { Hono, type Context } from "hono";
import type { WorkerConfig } from "./config/env.ts";
import type { Egress } from "./egress/egress.ts";
import { mountAdmin } from "./admin/routes.ts";
import { createAdminServices, type AdminServices, type ReloadKeys } from "./admin/services.ts";
import { statusDocument } from "./admin/status.ts";
import { GemrelayError, UpstreamResponseError, geminiErrorResponse } from "./errors.ts";
import { parseGeminiPath } from "./gemini/paths.ts";
import { handleNative } from "./native.ts";
import { openAiRoutes } from "./openai/routes.ts";
import { ResumeCounters } from "./resume/stats.ts";
import { RelayHealth } from "./routing/relay-health.ts";
import { createPicker, type Picker } from "./routing/strategy.ts";
import { PoolView, type Background } from "./routing/pool-view.ts";
import type { Store } from "./store/store.ts";
import { clientRequests } from "./usage/middleware.ts";

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
  /** Re-reads the platform's pool keys for POST /admin/reload-keys (default: the config's). */
  reloadKeys?: ReloadKeys;
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
  /** Resume totals of this isolate or process (answers resumed, continuations, exhausted, …). */
  resume: ResumeCounters;
  /** Admin gate, access keys, rate limits and usage recording of this isolate. */
  admin: AdminServices;
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
    resume: new ResumeCounters(),
    pool: new PoolView(dependencies.store, {
      refreshMs: dependencies.config.poolRefreshMs,
      clock,
      onBackgroundError: (error) => log({ level: "error", event: "store.write", message: String(error) }),
    }),
    admin: createAdminServices({
      config: dependencies.config,
      store: dependencies.store,
      clock,
      platform: dependencies.platform,
      reloadKeys: dependencies.reloadKeys,
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

  // First, so it sees every client API request, OpenAI's included: client resolution and usage.
  app.use("*", clientRequests(context, backgroundOf));

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
    await context.admin.gate.require(c.req.raw);
    return c.json(await statusDocument(context));
  });

  // The admin API (/api/*, /admin/*) and the console (/).
  mountAdmin(app, context, backgroundOf);

  // Before the native catch-all: OpenAI paths overlap Gemini's GET /v1/models (openai/paths.ts has the rule).
  app.use("*", openAiRoutes(context, backgroundOf));

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
