/**
 * The built bundles under the platforms' own local runtimes, installed from npm and run offline:
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
import { repositoryRoot } from "../../deploy/targets.ts";
import { freePort, temporaryDirectory } from "./process.ts";

/** A local platform runtime serving one bundle on loopback. */
export interface RunningRuntime {
  url: string;
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

/**
 * Starts dist/worker/index.js under `wrangler dev` with `vars` as its secrets (`.dev.vars`) and the
 * built wrangler.json (Durable Object with SQLite, placement, location hint).
 */
export async function startWranglerDev(vars: Record<string, string>): Promise<RunningRuntime> {
  const folder = temporaryDirectory("gemrelay-wrangler-");
  const project = path.join(folder, "worker");
  mkdirSync(project);
  cpSync(path.join(repositoryRoot, "dist/worker/index.js"), path.join(project, "index.js"));
  cpSync(path.join(repositoryRoot, "dist/worker/wrangler.json"), path.join(project, "wrangler.json"));
  writeFileSync(path.join(project, ".dev.vars"), Object.entries(vars).map(([name, value]) => dotenvLine(name, value)).join("\n") + "\n", { mode: 0o600 });
  const [port, inspector] = [await freePort(), await freePort()];
  // Logs and state outside the project folder: wrangler watches it and would reload in a loop.
  const logFile = path.join(folder, "wrangler.log");
  const child = spawnLogged(
    bin("wrangler"),
    ["dev", "--config", "wrangler.json", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", path.join(folder, "state"), "--show-interactive-dev-session=false"],
    { cwd: project, env: { WRANGLER_SEND_METRICS: "false", CI: "true", WRANGLER_LOG_PATH: path.join(folder, "wrangler-logs") }, logFile },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(`${url}/health`, child, logFile, "wrangler dev");
  } catch (error) {
    await stopGroup(child);
    throw error;
  }
  return { url, logFile, stop: () => stopGroup(child) };
}

/** Starts the built Netlify relay `id` under `netlify functions:serve --offline` with `env`. */
export async function startNetlifyFunctionsServe(env: Record<string, string>, id = "netlify-cmh"): Promise<RunningRuntime> {
  const folder = temporaryDirectory("gemrelay-netlify-");
  const project = path.join(folder, "site");
  cpSync(path.join(repositoryRoot, "dist/netlify", id), project, { recursive: true });
  const port = await freePort();
  const logFile = path.join(folder, "netlify.log");
  const child = spawnLogged(bin("netlify"), ["functions:serve", "--offline", "--port", String(port), "--functions", "functions"], {
    cwd: project,
    env: { ...env, NETLIFY_TELEMETRY_DISABLED: "1", CI: "true" },
    logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(`${url}/health`, child, logFile, "netlify functions:serve");
  } catch (error) {
    await stopGroup(child);
    throw error;
  }
  return { url, logFile, stop: () => stopGroup(child) };
}

interface VercelDevServer {
  port: number;
  pid: number;
  shutdown?: () => Promise<void>;
}

/** Starts the built Vercel relay `id` under `@vercel/node`'s `startDevServer` with `env`. */
export async function startVercelDevServer(env: Record<string, string>, id = "vercel-iad1"): Promise<RunningRuntime> {
  const folder = temporaryDirectory("gemrelay-vercel-");
  const work = path.join(folder, "relay.func");
  cpSync(path.join(repositoryRoot, "dist/vercel", id, ".vercel/output/functions/relay.func"), work, { recursive: true });
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
    meta: { isDev: true, env: { VERCEL_REGION: "dev1", ...env }, buildEnv: {} },
  });
  const url = `http://127.0.0.1:${server.port}`;
  const logFile = path.join(folder, "vercel.log");
  writeFileSync(logFile, `@vercel/node startDevServer: pid ${server.pid}, ${url}\n`);
  return {
    url,
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
