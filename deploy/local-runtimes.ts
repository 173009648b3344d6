/**
 * The built bundles under the platforms' own local runtimes, installed from npm (devDependencies)
 * and run offline, for `gemrelay dev --runtimes platform` and test/runtimes:
 * - the worker (dist/worker) under `wrangler dev` (workerd, local mode, secrets in `.dev.vars`);
 * - a Netlify relay (dist/netlify/<id>) under `netlify functions:serve --offline` (netlify-cli);
 * - a Vercel relay (dist/vercel/<id>/.vercel/output/functions/relay.func) under `@vercel/node`'s
 *   `startDevServer`, the launcher `vercel dev` itself runs Node functions with (`vercel dev`
 *   serves `api/` sources, not a prebuilt Build Output tree).
 *
 * Each runs in a temporary copy of its build folder (wrangler watches its folder and netlify-cli
 * resolves paths against an enclosing git repository), writes its log to a file there, and is
 * stopped with its whole process group. A start that fails shows the end of that log.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { repositoryRoot, vercelFunctionName } from "./targets.ts";

function temporaryDirectory(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** A free loopback port (listened on briefly, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A local platform runtime serving one bundle on loopback. */
export interface RunningRuntime {
  url: string;
  /** Process id of the runtime (its group leader). */
  pid: number;
  /** The runtime's log file (its stdout and stderr). */
  logFile: string;
  stop(): Promise<void>;
}

const bin = (name: string) => path.join(repositoryRoot, "node_modules", ".bin", name);

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Spawns `program` in its own process group with output to `logFile`. */
function spawnLogged(program: string, args: string[], options: { cwd: string; env: Record<string, string>; logFile: string }): ChildProcess {
  const log = openSync(options.logFile, "a");
  return spawn(program, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env },
    stdio: ["ignore", log, log],
    detached: true,
  });
}

/** Ends the process group of `child` (the runtime and what it started) and waits for the leader. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
  signal("SIGKILL");
}

/** Polls `url` until it answers 200, the child exits, or `timeoutMs` passes. */
async function waitHealthy(url: string, child: ChildProcess, logFile: string, label: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once("exit", () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${label} exited before it served ${url}; its log:\n${tail(logFile)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${label} did not serve ${url} within ${timeoutMs} ms; its log:\n${tail(logFile)}`);
}

/** A `.dev.vars` / dotenv line whose value survives any character but a newline. */
function dotenvLine(name: string, value: string): string {
  return `${name}=${JSON.stringify(value)}`;
}

/** Options of `startWranglerDev`. */
export interface WranglerDevOptions {
  /** The worker's variables and secrets, written to `.dev.vars` (they win over wrangler.json's vars). */
  vars: Record<string, string>;
  /** Build output folder holding `worker/index.js` and `worker/wrangler.json`. Default dist/. */
  outDir?: string;
  /** Port; 0 or absent: a free one. */
  port?: number;
  /** Durable Object state folder; default a temporary one. */
  persistTo?: string;
}

/**
 * Starts the built worker under `wrangler dev` with the built wrangler.json (Durable Object with
 * SQLite, placement, location hint) and `vars` in `.dev.vars`.
 */
export async function startWranglerDev(options: WranglerDevOptions): Promise<RunningRuntime> {
  const outDir = options.outDir ?? path.join(repositoryRoot, "dist");
  const folder = temporaryDirectory("gemrelay-wrangler-");
  const project = path.join(folder, "worker");
  mkdirSync(project);
  cpSync(path.join(outDir, "worker/index.js"), path.join(project, "index.js"));
  cpSync(path.join(outDir, "worker/wrangler.json"), path.join(project, "wrangler.json"));
  writeFileSync(path.join(project, ".dev.vars"), Object.entries(options.vars).map(([name, value]) => dotenvLine(name, value)).join("\n") + "\n", { mode: 0o600 });
  const port = options.port || (await freePort());
  const inspector = await freePort();
  // Logs and state outside the project folder: wrangler watches it and would reload in a loop.
  const logFile = path.join(folder, "wrangler.log");
  const child = spawnLogged(
    bin("wrangler"),
    ["dev", "--config", "wrangler.json", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", options.persistTo ?? path.join(folder, "state"), "--show-interactive-dev-session=false"],
    {
      cwd: project,
      // Offline: no metrics, and no fetch of Request.cf data from workers.cloudflare.com (a placeholder is used).
      env: { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true", WRANGLER_LOG_PATH: path.join(folder, "wrangler-logs") },
      logFile,
    },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(`${url}/health`, child, logFile, "wrangler dev");
  } catch (error) {
    await stopGroup(child);
    throw error;
  }
  return { url, pid: child.pid ?? -1, logFile, stop: () => stopGroup(child) };
}

/** Options of the relay runtimes. */
export interface RelayRuntimeOptions {
  /** RELAY_TOKEN, GEMINI_UPSTREAM. */
  env: Record<string, string>;
  /** The relay's build folder (`<out>/netlify/<id>`, `<out>/vercel/<id>`). */
  dir: string;
  /** Port (Netlify only; @vercel/node picks its own); 0 or absent: a free one. */
  port?: number;
}

/** Starts a built Netlify relay under `netlify functions:serve --offline`. */
export async function startNetlifyFunctionsServe(options: RelayRuntimeOptions): Promise<RunningRuntime> {
  const folder = temporaryDirectory("gemrelay-netlify-");
  const project = path.join(folder, "site");
  cpSync(options.dir, project, { recursive: true });
  const port = options.port || (await freePort());
  const logFile = path.join(folder, "netlify.log");
  const child = spawnLogged(bin("netlify"), ["functions:serve", "--offline", "--port", String(port), "--functions", "functions"], {
    cwd: project,
    env: { ...options.env, NETLIFY_TELEMETRY_DISABLED: "1", CI: "true" },
    logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(`${url}/health`, child, logFile, "netlify functions:serve");
  } catch (error) {
    await stopGroup(child);
    throw error;
  }
  return { url, pid: child.pid ?? -1, logFile, stop: () => stopGroup(child) };
}

interface VercelDevServer {
  port: number;
  pid: number;
  shutdown?: () => Promise<void>;
}

/** Starts a built Vercel relay under `@vercel/node`'s `startDevServer` (a port of its choosing). */
export async function startVercelDevServer(options: RelayRuntimeOptions): Promise<RunningRuntime> {
  const folder = temporaryDirectory("gemrelay-vercel-");
  const work = path.join(folder, `${vercelFunctionName}.func`);
  cpSync(path.join(options.dir, ".vercel/output/functions", `${vercelFunctionName}.func`), work, { recursive: true });
  const vercelNode = createRequire(path.join(repositoryRoot, "package.json"))("@vercel/node") as {
    startDevServer(options: Record<string, unknown>): Promise<VercelDevServer>;
  };
  const server = await vercelNode.startDevServer({
    entrypoint: "index.mjs",
    workPath: work,
    repoRootPath: work,
    files: {},
    config: {},
    // `vercel dev` reports its region as dev1.
    meta: { isDev: true, env: { VERCEL_REGION: "dev1", ...options.env }, buildEnv: {} },
  });
  const url = `http://127.0.0.1:${server.port}`;
  const logFile = path.join(folder, "vercel.log");
  writeFileSync(logFile, `@vercel/node startDevServer: pid ${server.pid}, ${url}\n`);
  return {
    url,
    pid: server.pid,
    logFile,
    async stop() {
      if (server.shutdown) await server.shutdown();
      try {
        process.kill(server.pid, "SIGTERM");
      } catch {
        // already gone
      }
    },
  };
}
