/**
 * Runs the built worker bundle under workerd through miniflare, in its own child process, for
 * `gemrelay dev` and the chain tests. Bundled by `dev.ts` to `<outDir>/dev/worker-host.mjs`
 * (miniflare stays an external import by absolute URL).
 *
 * Protocol (IPC): the parent sends `{ start: WorkerHostOptions }` (bindings carry secrets, so they
 * never travel on the command line); the host answers `{ ready: true, url }` or
 * `{ ready: false, error }`. It disposes miniflare and exits on "stop", SIGTERM/SIGINT, or when
 * the parent goes away. Miniflare's own exit hook would end the process on a signal before an
 * orderly dispose, which is why the worker does not run inside the CLI process.
 */
import path from "node:path";
import { Miniflare } from "miniflare";

/** What the parent asks for; mirrors the Miniflare options `dev.ts` needs. */
export interface WorkerHostOptions {
  name: string;
  scriptPath: string;
  port: number;
  compatibilityDate: string;
  compatibilityFlags: string[];
  durableObjects: Record<string, { className: string; useSQLite: boolean }>;
  persistRoot: string;
  bindings: Record<string, string>;
}

let miniflare: Miniflare | undefined;
let stopping = false;

function stop(): void {
  if (stopping) return;
  stopping = true;
  const done = () => process.exit(0);
  setTimeout(done, 5_000).unref();
  void (miniflare?.dispose() ?? Promise.resolve()).then(done, done);
}

async function start(options: WorkerHostOptions): Promise<string> {
  miniflare = new Miniflare({
    name: options.name,
    modules: true,
    scriptPath: options.scriptPath,
    // Module names are paths relative to this root; workerd refuses names that climb out with "..".
    modulesRoot: path.dirname(options.scriptPath),
    host: "127.0.0.1",
    port: options.port,
    compatibilityDate: options.compatibilityDate,
    compatibilityFlags: options.compatibilityFlags,
    durableObjects: options.durableObjects,
    defaultPersistRoot: options.persistRoot,
    bindings: options.bindings,
    // Placeholder `request.cf` values: `true` would fetch them from Cloudflare on first start.
    cf: false,
  });
  const url = await miniflare.ready;
  return url.href.replace(/\/$/, "");
}

process.on("message", (message: unknown) => {
  if (message === "stop") return stop();
  const request = message as { start?: WorkerHostOptions };
  if (!request.start) return;
  start(request.start).then(
    (url) => process.send?.({ ready: true, url }),
    (error: unknown) => {
      const text = error instanceof Error ? error.message : String(error);
      console.error(`worker host failed: ${text}`);
      process.send?.({ ready: false, error: text }, () => process.exit(1));
    },
  );
});
// Miniflare adds its own signal handlers (dispose synchronously, then exit); ours run first so an
// orderly dispose starts either way. The parent normally sends "stop" instead of a signal.
process.prependListener("SIGTERM", stop);
process.prependListener("SIGINT", stop);
process.on("disconnect", stop);
