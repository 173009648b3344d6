/**
 * The resume worker, built from injected dependencies so that every platform (Cloudflare, Node)
 * runs the same code: auth, routing over (key × egress), streaming back unbuffered.
 */
import { ModelListCache } from "./policy/model-cache.ts";
import { Hono, type Context } from "hono";
import type { WorkerConfig } from "./config/env.ts";
import type { Egress } from "./egress/egress.ts";
import { mountAdmin } from "./admin/routes.ts";
import { createAdminServices, type AdminServices, type ReloadKeys } from "./admin/services.ts";
import { statusDocument } from "./admin/status.ts";
import { BadRequestError, GemrelayError, UpstreamResponseError, clientError, geminiErrorResponse } from "./errors.ts";
import { parseGeminiPath } from "./gemini/paths.ts";
import { handleNative } from "./native.ts";
import { createPolicies, policyDocuments, type Policies } from "./policy/policies.ts";
import { Alerts } from "./alerts/alerts.ts";
import { protocolRouteOf } from "./protocols/registry.ts";
import { protocolRoutes } from "./protocols/routes.ts";
import { requestPathProblem } from "./request-path.ts";
import { maskSecretsIn } from "./secrets.ts";
import { ResumeCounters } from "./resume/stats.ts";
import { RelayHealth } from "./routing/relay-health.ts";
import { createPicker, type Picker } from "./routing/strategy.ts";
import { PoolView, type Background } from "./routing/pool-view.ts";
import type { Store } from "./store/store.ts";
import type { Cluster } from "./store/cluster.ts";
import type { BudgetCounter } from "./budget/counter.ts";
import { clientRequests } from "./usage/middleware.ts";
import { unknownClient, type ClientAddress } from "./net/client-address.ts";
import { handleLive, isLivePath } from "./live/session.ts";
import type { LivePlatform } from "./live/socket.ts";
import { createAuthToken } from "./live/tokens.ts";
import { carriesLive } from "./live/upstream.ts";

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
  /** Several instances sharing one Store (self-host on Redis): change signals, shared cursors, health. */
  cluster?: Cluster;
  /** Budget counts shared by every instance or isolate (Redis, the Durable Object); default: this process's. */
  budgetCounter?: BudgetCounter;
  /**
   * The fetch for remote `image_url`s (default: the global fetch). It must refuse internal
   * addresses by what a name resolves to: the self-host passes one with a lookup hook; on
   * Cloudflare the platform's own fetch cannot reach private addresses.
   */
  imageFetch?: typeof fetch;
  /** Who sent a request, as the platform can vouch for it (net/client-address.ts); default: nobody can be told apart. */
  clientAddress?: ClientAddress;
  /** How the platform accepts a client's WebSocket upgrade (the Live API); absent: Live is refused. */
  live?: LivePlatform;
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
  /** Present when several instances share the Store; see store/cluster.ts. */
  cluster?: Cluster;
  /** Model policy, budgets and key metadata (Store settings, editable from the admin API). */
  policies: Policies;
  /** Upstream model lists (native response text, OpenAI ids) for pool-mode clients. */
  modelLists: { native: ModelListCache<string>; openai: ModelListCache<string[]> };
  /** Alert webhook, de-duplication and the event feed of this isolate. */
  alerts: Alerts;
  /** The fetch for remote `image_url`s (AppDependencies.imageFetch). */
  imageFetch: typeof fetch;
  /** The platform's WebSocket upgrades (AppDependencies.live). */
  live?: LivePlatform;
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

/** The non-null entries of a detail record (alert details hold no nulls). */
function withoutNulls(detail: Record<string, string | number | boolean | null>): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(detail).filter((entry): entry is [string, string | number | boolean] => entry[1] !== null));
}

/** Builds the resume worker's HTTP app. */
export function createApp(dependencies: AppDependencies): Hono {
  const clock = dependencies.clock ?? Date.now;
  const write = dependencies.log ?? ((entry) => console.log(JSON.stringify(entry)));
  // Exception messages go to the log masked (secrets.ts), in this one place for every log line.
  const log: Logger = (entry) => write(typeof entry.message === "string" ? { ...entry, message: maskSecretsIn(entry.message) } : entry);
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
    alerts: new Alerts(dependencies.config.alerts, clock, (error) => log({ level: "warn", event: "alert.webhook", message: String(error) })),
    modelLists: { native: new ModelListCache(clock), openai: new ModelListCache(clock) },
    // Looked up per call, so that a test or platform replacing the global later is honoured.
    imageFetch: dependencies.imageFetch ?? ((input, init) => fetch(input, init)),
    policies: createPolicies(dependencies.store, dependencies.config.policy, { refreshMs: dependencies.config.poolRefreshMs, clock, log, budgetCounter: dependencies.budgetCounter }),
    admin: createAdminServices({
      config: dependencies.config,
      store: dependencies.store,
      clock,
      platform: dependencies.platform,
      reloadKeys: dependencies.reloadKeys,
      clientAddress: dependencies.clientAddress ?? (() => unknownClient),
      onBackgroundError: (error) => log({ level: "error", event: "store.write", message: String(error) }),
    }),
  };

  if (dependencies.live) context.live = dependencies.live;

  if (dependencies.cluster) {
    context.cluster = dependencies.cluster;
    dependencies.cluster.onChange(() => {
      context.pool.markStale();
      for (const document of policyDocuments(context.policies)) document.forget();
      context.admin.accessKeys.refresh().catch((error: unknown) => log({ level: "error", event: "store.read", message: String(error) }));
    });
    // Outside any request: alert webhooks are sent fire-and-forget.
    const detached: Background = (task) => void task.catch(() => undefined);
    dependencies.cluster.onHealthChange((health) => {
      const degraded = health.state === "degraded";
      const message = degraded
        ? "The shared state store is unreachable: this instance serves from its last snapshot and queues its writes."
        : "The shared state store is back: queued writes were replayed.";
      context.alerts.raise({ kind: degraded ? "state-degraded" : "state-recovered", subject: "shared-state", message, details: withoutNulls(health.detail) }, detached);
    });
  }

  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof UpstreamResponseError) return error.toResponse();
    return geminiErrorResponse(clientError(error, log, { path: new URL(c.req.url).pathname }));
  });

  // Before anything reads the path: none may name another path once decoded (request-path.ts).
  app.use("*", async (c, next) => {
    const url = new URL(c.req.url);
    const problem = requestPathProblem(url.pathname);
    if (problem === null) return next();
    const error = new BadRequestError(problem);
    return protocolRouteOf(c.req.raw, url)?.errorResponse(error) ?? geminiErrorResponse(error);
  });

  // Then, so it sees every client API request, of every protocol: client resolution and usage.
  app.use("*", clientRequests(context, backgroundOf));

  app.get("/health", (c) =>
    c.json({
      ok: true,
      service: "gemrelay",
      platform: dependencies.platform,
      egresses: context.egresses.length,
      configured: context.config.accessKeys.length > 0,
      // The Live API (WebSockets) needs an egress that carries them; /status says which do.
      live: context.egresses.some((egress) => carriesLive(context.live, egress)),
      ...(context.cluster ? { state: context.cluster.health().state } : {}),
    }),
  );

  app.get("/status", async (c) => {
    await context.admin.gate.require(c);
    const document = await statusDocument(context);
    return c.json(context.cluster ? { ...document, sharedState: context.cluster.health() } : document);
  });

  // The admin API (/api/*, /admin/*) and the console (/).
  mountAdmin(app, context, backgroundOf);

  // Before the native catch-all: the OpenAI, Responses and Anthropic adapters (protocols/registry.ts
  // says which; their paths overlap Gemini's GET /v1/models), and the 404 for their paths gemrelay
  // does not serve, which must never reach Google with a pool key.
  app.use("*", protocolRoutes(context, backgroundOf));

  // The Live API (WebSocket upgrades) and its ephemeral tokens: shared/live/.
  app.get("*", async (c, next) => (isLivePath(new URL(c.req.url).pathname) ? handleLive(c.req.raw, context, context.live, backgroundOf(c)) : next()));
  app.post("/v1alpha/auth_tokens", (c) => createAuthToken(c.req.raw, context, backgroundOf(c)));

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
