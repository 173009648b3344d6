/**
 * `gemrelay dev`: the manifest's whole chain on loopback, running the very bundles `deploy`
 * ships — the worker under workerd (miniflare, SQLite Durable Object persisted under a state
 * folder) on `port`, each relay under Node in its own child process on port+1, port+2, …
 * Port 0 gives every process an ephemeral port instead (tests).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import * as esbuild from "esbuild";
import { Miniflare } from "miniflare";
import { BuildError, buildAll, writeAtomically } from "./build.ts";
import type { Manifest, RelaySpec } from "./manifest.ts";
import { readSecrets } from "./manifest.ts";
import { durableObject, locationHintVariable, netlifyFunctionFile, repositoryRoot, vercelFunctionName, workerCompatibilityDate } from "./targets.ts";

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

const hostEntry = path.join(repositoryRoot, "deploy/relay-host.ts");

/** Bundles the relay host (with @hono/node-server) so children start without a TS loader. */
async function buildRelayHost(outDir: string): Promise<string> {
  const file = path.join(outDir, "dev", "relay-host.mjs");
  const result = await esbuild.build({
    entryPoints: [hostEntry],
    bundle: true,
    write: false,
    platform: "node",
    target: "node20",
    format: "esm",
    outfile: file,
    logLevel: "silent",
    banner: { js: 'import { createRequire as __gemrelayCreateRequire } from "node:module";\nconst require = __gemrelayCreateRequire(import.meta.url);' },
  });
  await writeAtomically(file, result.outputFiles[0]!.text);
  return file;
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

interface RelayProcess {
  child: ChildProcess;
  exited: Promise<void>;
}

function startRelay(
  host: string,
  spec: RelaySpec,
  module: string,
  port: number,
  env: Record<string, string>,
  log: (line: string) => void,
  timeoutMs: number,
): { process: RelayProcess; ready: Promise<string> } {
  const child = spawn(process.execPath, [host, module, spec.platform, spec.region, String(port), spec.id], {
    env,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  prefixLines(child.stdout, `[${spec.id}]`, log);
  prefixLines(child.stderr, `[${spec.id}]`, log);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay ${spec.id} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.on("message", (message: { ready?: boolean; url?: string; error?: string }) => {
      clearTimeout(timer);
      if (message.ready && message.url) resolve(message.url);
      else reject(new Error(`relay ${spec.id} failed to start: ${message.error ?? "unknown error"}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`relay ${spec.id} exited during start (${signal ?? `code ${code}`})`));
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  return { process: { child, exited }, ready };
}

async function stopRelay(relay: RelayProcess): Promise<void> {
  const { child } = relay;
  if (child.exitCode === null && child.signalCode === null) {
    if (child.connected) child.send("stop", () => undefined);
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await relay.exited;
    clearTimeout(killer);
  }
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
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const basePort = options.port ?? 8787;
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  if (!Number.isInteger(basePort) || basePort < 0 || basePort + manifest.relays.length > 65_535) {
    throw new Error(`invalid port ${basePort}`);
  }

  const ids = ["worker", ...manifest.relays.map((relay) => relay.id)];
  const [built, host] = await Promise.all([
    options.build === false ? undefined : buildAll({ manifest, outDir, root, only: ids }),
    buildRelayHost(outDir),
  ]);
  const workerScript = path.join(outDir, "worker", "index.js");
  const nodeCompat = built?.worker ? built.worker.nodeImports.length > 0 : await builtWithNodeCompat(outDir);

  const { values: secrets } = readSecrets(manifest, env);
  const relayToken = secrets.RELAY_TOKEN ?? `rt-${randomBytes(24).toString("base64url")}`;
  // The environment overrides the manifest's chain-wide upstream; a relay's own upstream wins.
  const chainUpstream = (env.GEMINI_UPSTREAM?.trim() || manifest.upstream).replace(/\/+$/, "");

  const relays: (DevRelay & RelayProcess)[] = [];
  let miniflare: Miniflare | undefined;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await Promise.allSettled([miniflare?.dispose(), ...relays.map((relay) => stopRelay(relay))]);
    })());

  try {
    const inherited: Record<string, string> = {};
    for (const name of inheritedVariables) {
      const value = process.env[name];
      if (value !== undefined) inherited[name] = value;
    }
    const starts = manifest.relays.map((spec, index) => {
      const upstream = spec.upstream ?? chainUpstream;
      const childEnv: Record<string, string> = { ...inherited, RELAY_TOKEN: relayToken, GEMINI_UPSTREAM: upstream };
      if (spec.platform === "vercel") childEnv.VERCEL_REGION = spec.region;
      const port = basePort === 0 ? 0 : basePort + 1 + index;
      const started = startRelay(host, spec, relayModule(outDir, spec), port, childEnv, log, timeoutMs);
      relays.push({
        ...started.process,
        id: spec.id,
        platform: spec.platform,
        region: spec.region,
        url: "",
        upstream,
        pid: started.process.child.pid ?? -1,
      });
      return started.ready;
    });
    const urls = await Promise.all(starts);
    urls.forEach((url, index) => (relays[index]!.url = url));
    await Promise.all(relays.map((relay) => waitForHealth(relay.url, timeoutMs)));

    const bindings: Record<string, string> = {
      RELAY_TOKEN: relayToken,
      GEMINI_UPSTREAM: chainUpstream,
    };
    if (relays.length > 0) bindings.RELAY_URLS = relays.map((relay) => relay.url).join(",");
    for (const name of ["GEMINI_API_KEYS", "AUTH_KEY", "ADMIN_KEY"] as const) {
      const value = secrets[name];
      if (value !== undefined) bindings[name] = value;
    }
    if (manifest.worker.locationHint) bindings[locationHintVariable] = manifest.worker.locationHint;

    miniflare = new Miniflare({
      name: manifest.worker.name,
      modules: true,
      scriptPath: workerScript,
      host: "127.0.0.1",
      port: basePort,
      compatibilityDate: workerCompatibilityDate,
      compatibilityFlags: nodeCompat ? ["nodejs_compat"] : [],
      durableObjects: { [durableObject.binding]: { className: durableObject.className, useSQLite: true } },
      defaultPersistRoot: stateDir,
      bindings,
    });
    const workerUrl = (await miniflare.ready).href.replace(/\/$/, "");
    await waitForHealth(workerUrl, timeoutMs);

    return {
      workerUrl,
      relays: relays.map(({ id, platform, region, url, upstream, pid }) => ({ id, platform, region, url, upstream, pid })),
      relayToken,
      stateDir,
      close,
    };
  } catch (error) {
    await close();
    if (error instanceof BuildError) throw error;
    throw error instanceof Error ? error : new Error(String(error));
  }
}

/** The "ready" block `gemrelay dev` prints: URLs and regions, never secret values. */
export function describeDevChain(chain: DevChain, manifest: Manifest, env: Record<string, string | undefined>): string {
  const rows: string[][] = [
    ["worker", manifest.worker.name, "workerd", "-", chain.workerUrl],
    ...chain.relays.map((relay) => ["relay", relay.id, relay.platform, relay.region, relay.url]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => "  " + row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd());
  const { missing } = readSecrets(manifest, env);
  const notes = missing
    .filter((entry) => !entry.startsWith("secrets.RELAY_TOKEN"))
    .map((entry) => `  note: ${entry} is not set` + (entry.includes("AUTH_KEY") || entry.includes("ADMIN_KEY") ? " — the worker answers every request with a setup error until it is" : ""));
  if (missing.some((entry) => entry.startsWith("secrets.RELAY_TOKEN"))) notes.push("  note: RELAY_TOKEN not set — generated one for this session");
  return [
    `gemrelay dev: chain ready (state: ${path.relative(process.cwd(), chain.stateDir) || chain.stateDir})`,
    ...lines,
    ...notes,
    "  Ctrl-C stops everything.",
  ].join("\n");
}
