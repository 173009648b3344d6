/**
 * Starting the real bundles for chain tests: relays (dist/netlify, dist/vercel) under Node through
 * the dev relay host, and the worker (dist/worker) under workerd through miniflare.
 */
import { fork } from "node:child_process";
import path from "node:path";
import type { Readable } from "node:stream";
import { Miniflare } from "miniflare";
import { durableObject, repositoryRoot, workerCompatibilityDate } from "../../deploy/targets.ts";
import { temporaryDirectory } from "./process.ts";

export { freePort } from "./process.ts";

/** A relay bundle serving on loopback. */
export interface RunningRelay {
  id: string;
  url: string;
  /** Ends the relay process with `signal` (default SIGTERM; SIGKILL to simulate a crash) and waits for its exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Bundle file of a relay of the default manifest, by platform. */
export const relayBundles = {
  netlify: path.join(repositoryRoot, "dist/netlify/netlify-cmh/functions/gemrelay.mjs"),
  vercel: path.join(repositoryRoot, "dist/vercel/vercel-iad1/.vercel/output/functions/relay.func/index.mjs"),
} as const;

/** Starts one relay bundle under Node on `port` (0: any) with its own environment. */
export async function startRelay(options: {
  platform: "netlify" | "vercel";
  id: string;
  port?: number;
  env: Record<string, string>;
}): Promise<RunningRelay> {
  const host = path.join(repositoryRoot, "dist/dev/relay-host.mjs");
  const region = options.platform === "netlify" ? "cmh" : "iad1";
  const child = fork(host, [relayBundles[options.platform], options.platform, region, String(options.port ?? 0), options.id], {
    env: { PATH: process.env.PATH ?? "", ...options.env, ...(options.platform === "vercel" ? { VERCEL_REGION: region } : {}) },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay ${options.id} did not start:\n${output}`)), 20_000);
    child.on("message", (message: { ready?: boolean; url?: string; error?: string }) => {
      clearTimeout(timer);
      if (message.ready && message.url) resolve(message.url);
      else reject(new Error(`relay ${options.id} failed: ${message.error ?? output}`));
    });
    child.once("exit", () => reject(new Error(`relay ${options.id} exited:\n${output}`)));
  });
  return {
    id: options.id,
    url,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** The worker bundle under workerd. */
export interface RunningWorker {
  url: string;
  miniflare: Miniflare;
  stop(): Promise<void>;
}

/**
 * Starts dist/worker/index.js under workerd with `bindings` as its environment and SQLite Durable
 * Object state. `onOutput` receives what workerd writes (the worker's log lines) instead of the console.
 */
export async function startWorker(
  bindings: Record<string, string>,
  persistRoot = temporaryDirectory("gemrelay-do-"),
  onOutput?: (text: string) => void,
  /** Receives the worker's outbound fetches instead of the network (miniflare's outboundService). */
  outbound?: (request: Request) => Promise<Response>,
): Promise<RunningWorker> {
  const scriptPath = path.join(repositoryRoot, "dist/worker/index.js");
  const miniflare = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot: path.dirname(scriptPath),
    compatibilityDate: workerCompatibilityDate,
    durableObjects: { [durableObject.binding]: { className: durableObject.className, useSQLite: true } },
    defaultPersistRoot: persistRoot,
    bindings,
    host: "127.0.0.1",
    port: 0,
    cf: false,
    ...(outbound ? { outboundService: outbound } : {}),
    ...(onOutput ? { handleRuntimeStdio: (stdout: Readable, stderr: Readable) => [stdout, stderr].forEach((stream) => stream.on("data", (chunk: Buffer) => onOutput(chunk.toString()))) } : {}),
  });
  const url = (await miniflare.ready).toString().replace(/\/$/, "");
  return { url, miniflare, stop: () => miniflare.dispose() };
}
