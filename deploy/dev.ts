/**
 * `gemrelay dev`: the manifest's whole chain on loopback, running the very bundles `deploy`
 * ships — the worker under workerd (miniflare, SQLite Durable Object persisted under a state
 * folder) on `port`, each relay under Node on port+1, port+2, … Port 0 gives every process an
 * ephemeral port instead (tests).
 *
 * Every deployable runs in its own child process (`relay-host.ts`, `worker-host.ts`, bundled into
 * `<outDir>/dev/`), connected by IPC: a child exits when told to stop or when its parent goes
 * away, so neither Ctrl-C nor a crash leaves a port held.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { ensurePrivateDirectory } from "../relays/node/private-files.ts";
import { BuildError, buildAll, writeAtomically } from "./build.ts";
import type { Manifest, RelaySpec } from "./manifest.ts";
import { startPlatformChain } from "./dev-platform.ts";
import { formatTable } from "./table.ts";
import { workerVariables } from "./worker-env.ts";
import { readSecrets, relayStreamLimitSeconds } from "./manifest.ts";
import {
  durableObject,
  netlifyFunctionFile,
  repositoryRoot,
  vercelFunctionName,
  workerCompatibilityDate,
} from "./targets.ts";
import type { WorkerHostOptions } from "./worker-host.ts";

/** Options of `startDevChain`. */
export interface DevChainOptions {
  manifest: Manifest;
  /** Worker port; relays take the next ones. 0: ephemeral ports everywhere. Default 8787. */
  port?: number;
  /** Where secrets and GEMINI_UPSTREAM come from (names per `manifest.secrets`). Default process.env. */
  env?: Record<string, string | undefined>;
  /** Bundle folder, relative to `root` unless absolute. Default `dist`. */
  outDir?: string;
  /** Build the bundles first (default true); false reuses what `outDir` holds. */
  build?: boolean;
  /** Durable Object persistence root. Default `.gemrelay/dev/state` under `root`. */
  stateDir?: string;
  /** Repository root; default the one this file belongs to. */
  root?: string;
  /** Progress and child output lines; default console.log. Never receives secret values. */
  log?: (line: string) => void;
  /** How long each process may take to come up, ms. Default 20 000. */
  startTimeoutMs?: number;
  /**
   * `node` (default): the worker under miniflare, relays under Node. `platform`: `wrangler dev`,
   * `netlify functions:serve --offline` and `@vercel/node`'s dev server (dev-platform.ts).
   */
  runtimes?: "node" | "platform";
}

/** One relay of a running dev chain. */
export interface DevRelay {
  id: string;
  platform: RelaySpec["platform"];
  region: string;
  url: string;
  /** Upstream this relay forwards to. */
  upstream: string;
  pid: number;
}

/** A running dev chain. */
export interface DevChain {
  workerUrl: string;
  /** Process id of the worker host (workerd runs as its child). */
  workerPid: number;
  relays: DevRelay[];
  /** The hop secret in use (from the environment, or generated for this session). */
  relayToken: string;
  /** Where the Durable Object state lives. */
  stateDir: string;
  /** Stops the worker and every relay; resolves once all have exited. Safe to call twice. */
  close(): Promise<void>;
}

/** Environment variables a relay child may inherit besides the ones it is given. */
const inheritedVariables = ["PATH", "HOME", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT", "NODE_EXTRA_CA_CERTS", "TZ", "LANG"];

const nodeRequireBanner =
  'import { createRequire as __gemrelayCreateRequire } from "node:module";\nconst require = __gemrelayCreateRequire(import.meta.url);';

/**
 * Bundles a host script into `<outDir>/dev/`. Miniflare stays external, imported by absolute
 * URL, so the host runs from any folder without a TypeScript loader.
 */
async function buildHost(name: "relay-host" | "worker-host", outDir: string): Promise<string> {
  const file = path.join(outDir, "dev", `${name}.mjs`);
  const miniflareUrl = pathToFileURL(createRequire(path.join(repositoryRoot, "package.json")).resolve("miniflare")).href;
  const result = await esbuild.build({
    entryPoints: [path.join(repositoryRoot, "deploy", `${name}.ts`)],
    bundle: true,
    write: false,
    platform: "node",
    target: "node20",
    format: "esm",
    outfile: file,
    logLevel: "silent",
    banner: { js: nodeRequireBanner },
    plugins: [
      {
        name: "miniflare-by-url",
        setup(build) {
          build.onResolve({ filter: /^miniflare$/ }, () => ({ path: miniflareUrl, external: true }));
        },
      },
    ],
  });
  await writeAtomically(file, result.outputFiles[0]!.text);
  return file;
}

/**
 * Builds the two host scripts into `<outDir>/dev/` (`relay-host.mjs`, `worker-host.mjs`); the
 * chain tests start bundles through them too.
 */
export async function buildDevHosts(outDir: string): Promise<{ relayHost: string; workerHost: string }> {
  const [relayHost, workerHost] = await Promise.all([buildHost("relay-host", outDir), buildHost("worker-host", outDir)]);
  return { relayHost, workerHost };
}

/** Whether an existing worker build asked for `nodejs_compat` (its wrangler.json says so). */
async function builtWithNodeCompat(outDir: string): Promise<boolean> {
  try {
    const config = JSON.parse(await readFile(path.join(outDir, "worker", "wrangler.json"), "utf8")) as { compatibility_flags?: string[] };
    return config.compatibility_flags?.includes("nodejs_compat") ?? false;
  } catch {
    throw new BuildError(`no worker build in ${outDir} (run \`gemrelay build\` or drop --no-build)`);
  }
}

function relayModule(outDir: string, spec: RelaySpec): string {
  return spec.platform === "netlify"
    ? path.join(outDir, "netlify", spec.id, "functions", netlifyFunctionFile)
    : path.join(outDir, "vercel", spec.id, ".vercel", "output", "functions", `${vercelFunctionName}.func`, "index.mjs");
}

function prefixLines(stream: NodeJS.ReadableStream | null, prefix: string, log: (line: string) => void): void {
  if (!stream) return;
  createInterface({ input: stream }).on("line", (line) => log(`${prefix} ${line}`));
}

/** A host child process. */
interface Host {
  label: string;
  child: ChildProcess;
  exited: Promise<void>;
  /** Resolves with the URL the host listens on. */
  ready: Promise<string>;
}

function startHost(
  label: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  log: (line: string) => void,
  timeoutMs: number,
  startMessage?: unknown,
): Host {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ["ignore", "pipe", "pipe", "ipc"] });
  prefixLines(child.stdout, `[${label}]`, log);
  prefixLines(child.stderr, `[${label}]`, log);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start within ${timeoutMs} ms`)), timeoutMs);
    const settle = () => clearTimeout(timer);
    child.on("message", (message: { ready?: boolean; url?: string; error?: string }) => {
      settle();
      if (message.ready && message.url) resolve(message.url);
      else reject(new Error(`${label} failed to start: ${message.error ?? "unknown error"}`));
    });
    child.once("exit", (code, signal) => {
      settle();
      reject(new Error(`${label} exited during start (${signal ?? `code ${code}`})`));
    });
    child.once("error", (error) => {
      settle();
      reject(error);
    });
  });
  ready.catch(() => undefined);
  if (startMessage !== undefined) child.send(startMessage as never);
  return { label, child, exited, ready };
}

/** Asks a host to stop, then insists: SIGTERM after 3 s, SIGKILL after 6 s. */
async function stopHost(host: Host): Promise<void> {
  const { child } = host;
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.send("stop", () => undefined);
  else child.kill("SIGTERM");
  const term = setTimeout(() => child.kill("SIGTERM"), 3_000);
  const kill = setTimeout(() => child.kill("SIGKILL"), 6_000);
  await host.exited;
  clearTimeout(term);
  clearTimeout(kill);
}

/** Polls `<url>/health` until it answers 200, or throws after `timeoutMs`. */
export async function waitForHealth(url: string, timeoutMs = 10_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(new URL("/health", url), { signal: AbortSignal.timeout(2_000) });
      const text = await response.text();
      if (response.ok) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return text;
        }
      }
      last = `HTTP ${response.status}: ${text.slice(0, 200)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url}/health not healthy after ${timeoutMs} ms (${last})`);
}

/**
 * Starts the chain and resolves once the worker and every relay answer `/health`. On any
 * failure everything already started is stopped before the error is thrown.
 */
export async function startDevChain(options: DevChainOptions): Promise<DevChain> {
  const { manifest } = options;
  const root = options.root ?? repositoryRoot;
  const outDir = path.resolve(root, options.outDir ?? "dist");
  const stateDir = path.resolve(root, options.stateDir ?? ".gemrelay/dev/state");
  // The Durable Object's SQLite in there holds the pool keys (in clear without ENCRYPTION_KEY).
  ensurePrivateDirectory(stateDir);
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const basePort = options.port ?? 8787;
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  if (!Number.isInteger(basePort) || basePort < 0 || basePort + manifest.relays.length > 65_535) {
    throw new Error(`invalid port ${basePort}`);
  }

  const targets = ["worker", ...manifest.relays.map((relay) => relay.id)];
  const [built, { relayHost, workerHost }] = await Promise.all([
    options.build === false ? undefined : buildAll({ manifest, outDir, root, only: targets }),
    buildDevHosts(outDir),
  ]);
  const nodeCompat = built?.worker ? built.worker.nodeImports.length > 0 : await builtWithNodeCompat(outDir);

  const { values: secrets } = readSecrets(manifest, env);
  const relayToken = secrets.RELAY_TOKEN ?? `rt-${randomBytes(24).toString("base64url")}`;
  // The environment overrides the manifest's chain-wide upstream; a relay's own upstream wins.
  const chainUpstream = (env.GEMINI_UPSTREAM?.trim() || manifest.upstream).replace(/\/+$/, "");
  const inherited: Record<string, string> = {};
  for (const name of inheritedVariables) {
    const value = process.env[name];
    if (value !== undefined) inherited[name] = value;
  }

  if (options.runtimes === "platform") {
    return startPlatformChain({ manifest, outDir, stateDir, basePort, relayToken, chainUpstream, secrets, log });
  }

  const hosts: Host[] = [];
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= Promise.allSettled(hosts.map((host) => stopHost(host))).then(() => undefined));

  try {
    const relays = manifest.relays.map((spec, index) => {
      const upstream = spec.upstream ?? chainUpstream;
      const childEnv: Record<string, string> = { ...inherited, RELAY_TOKEN: relayToken, GEMINI_UPSTREAM: upstream };
      if (spec.platform === "vercel") childEnv.VERCEL_REGION = spec.region;
      const port = basePort === 0 ? 0 : basePort + 1 + index;
      const host = startHost(spec.id, relayHost, [relayModule(outDir, spec), spec.platform, spec.region, String(port), spec.id], childEnv, log, timeoutMs);
      hosts.push(host);
      return { spec, upstream, host };
    });
    const relayUrls = await Promise.all(relays.map((relay) => relay.host.ready));
    await Promise.all(relayUrls.map((url) => waitForHealth(url, timeoutMs)));

    const bindings: Record<string, string> = {
      ...workerVariables(manifest, { relays: relayUrls.map((url, index) => ({ url, weight: relays[index]!.spec.weight, maxStreamSeconds: relayStreamLimitSeconds(relays[index]!.spec) })), upstream: chainUpstream }),
      RELAY_TOKEN: relayToken,
    };
    for (const name of ["GEMINI_API_KEYS", "AUTH_KEY", "ADMIN_KEY"] as const) {
      const value = secrets[name];
      if (value !== undefined) bindings[name] = value;
    }
    const workerOptions: WorkerHostOptions = {
      name: manifest.worker.name,
      scriptPath: path.join(outDir, "worker", "index.js"),
      port: basePort,
      compatibilityDate: workerCompatibilityDate,
      compatibilityFlags: nodeCompat ? ["nodejs_compat"] : [],
      durableObjects: { [durableObject.binding]: { className: durableObject.className, useSQLite: true } },
      persistRoot: stateDir,
      bindings,
    };
    const worker = startHost("worker", workerHost, [], { ...inherited }, log, timeoutMs, { start: workerOptions });
    hosts.push(worker);
    const workerUrl = await worker.ready;
    await waitForHealth(workerUrl, timeoutMs);

    return {
      workerUrl,
      workerPid: worker.child.pid ?? -1,
      relays: relays.map(({ spec, upstream, host }, index) => ({
        id: spec.id,
        platform: spec.platform,
        region: spec.region,
        url: relayUrls[index]!,
        upstream,
        pid: host.child.pid ?? -1,
      })),
      relayToken,
      stateDir,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The "ready" block `gemrelay dev` prints: URLs and regions, never secret values. */
export function describeDevChain(chain: DevChain, manifest: Manifest, env: Record<string, string | undefined>): string {
  const rows: string[][] = [
    ["worker", manifest.worker.name, "workerd", "-", chain.workerUrl],
    ...chain.relays.map((relay) => ["relay", relay.id, relay.platform, relay.region, relay.url]),
  ];
  const lines = formatTable(rows, { indent: "  " }).split("\n");
  const notes: string[] = [];
  for (const entry of readSecrets(manifest, env).missing) {
    if (entry.startsWith("secrets.RELAY_TOKEN")) notes.push(`  note: ${entry} is not set; generated a relay token for this session`);
    else if (entry.startsWith("secrets.GEMINI_API_KEYS")) notes.push(`  note: ${entry} is not set; add pool keys through the admin API`);
    else notes.push(`  note: ${entry} is not set; the worker answers every request with a setup error until it is`);
  }
  return [
    `gemrelay dev: chain ready (state: ${path.relative(process.cwd(), chain.stateDir) || chain.stateDir})`,
    ...lines,
    ...notes,
    "  Ctrl-C stops everything.",
  ].join("\n");
}
