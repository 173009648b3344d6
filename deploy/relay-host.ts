/**
 * Serves one built relay bundle on loopback, the way its platform would call it, for
 * `gemrelay dev` and the chain tests. Runs in its own child process (bundled by `dev.ts` to
 * `<outDir>/dev/relay-host.mjs`), one per relay:
 *
 *   node relay-host.mjs <bundle> <netlify|vercel> <region> <port> <id>
 *
 * The platform environment comes from the parent (RELAY_TOKEN, GEMINI_UPSTREAM, and
 * VERCEL_REGION for Vercel). Tells the parent `{ ready, url }` over IPC once listening, exits
 * when told to stop, on SIGTERM/SIGINT, or when the parent goes away (IPC disconnect), so a
 * crashed `gemrelay dev` never leaves relays holding ports.
 */
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { serve, type ServerType } from "@hono/node-server";

type Handler = (request: Request, remoteAddress: string) => Promise<Response>;

/** The subset of Netlify's `Context` the relays may read (https://docs.netlify.com/build/functions/api/#netlify-specific-context-object). */
function netlifyContext(request: Request, remoteAddress: string, id: string, region: string) {
  return {
    account: { id: "dev" },
    cookies: { get: () => undefined, set: () => undefined, delete: () => undefined },
    deploy: { context: "dev", id: "dev", published: false },
    geo: {},
    ip: remoteAddress,
    json: (value: unknown) => Response.json(value),
    log: console.log,
    params: {},
    requestId: randomUUID(),
    server: { region },
    site: { id: "dev", name: id, url: new URL(request.url).origin },
    url: new URL(request.url),
    waitUntil: (promise: Promise<unknown>) => void promise.catch(() => undefined),
    next: () => Promise.reject(new Error("context.next() is for edge functions")),
  };
}

/** Netlify's global `Netlify.env` over process.env (https://docs.netlify.com/build/functions/api/#netlify-global-object). */
function installNetlifyGlobal(): void {
  const env = {
    get: (name: string) => process.env[name],
    has: (name: string) => process.env[name] !== undefined,
    set: (name: string, value: string) => void (process.env[name] = value),
    delete: (name: string) => void delete process.env[name],
    toObject: () => ({ ...process.env }),
  };
  (globalThis as Record<string, unknown>).Netlify = { env, context: null };
}

async function loadHandler(bundle: string, platform: string, id: string, region: string): Promise<Handler> {
  const module = (await import(pathToFileURL(bundle).href)) as { default?: unknown };
  const exported = module.default;
  if (platform === "netlify") {
    if (typeof exported !== "function") throw new Error(`${bundle}: default export is not a function`);
    installNetlifyGlobal();
    const handler = exported as (request: Request, context: unknown) => Promise<Response>;
    return (request, remoteAddress) => handler(request, netlifyContext(request, remoteAddress, id, region));
  }
  if (platform === "vercel") {
    const fetchMethod = (exported as { fetch?: unknown } | undefined)?.fetch;
    if (typeof fetchMethod !== "function") throw new Error(`${bundle}: default export has no fetch()`);
    return (request) => (fetchMethod as (request: Request) => Promise<Response>).call(exported, request);
  }
  throw new Error(`unknown platform ${platform}`);
}

async function main(): Promise<void> {
  const [bundle, platform, region, portText, id] = process.argv.slice(2);
  if (!bundle || !platform || !region || !portText || !id) {
    throw new Error("usage: relay-host <bundle> <netlify|vercel> <region> <port> <id>");
  }
  const handler = await loadHandler(bundle, platform, id, region);
  const server: ServerType = await new Promise((resolve, reject) => {
    const started = serve(
      {
        fetch: (request, bindings) => {
          const remote = "incoming" in bindings ? (bindings.incoming.socket.remoteAddress ?? "127.0.0.1") : "127.0.0.1";
          return handler(request, remote);
        },
        port: Number(portText),
        hostname: "127.0.0.1",
        // Keep Node's own Request/Response, as on the real platforms.
        overrideGlobalObjects: false,
      },
      () => resolve(started),
    );
    started.once("error", reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => process.exit(0));
    // Open streams would hold close() forever; cut them after a short grace period.
    (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    setTimeout(() => process.exit(0), 1_000).unref();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.on("disconnect", stop);
  process.on("message", (message) => {
    if (message === "stop") stop();
  });
  if (process.send) process.send({ ready: true, url });
  else console.log(`relay ${id} (${platform}, ${region}) listening on ${url}`);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`relay host failed: ${message}`);
  if (process.send) process.send({ ready: false, error: message }, () => process.exit(1));
  else process.exit(1);
});
