/** Starting built bundles as child processes for end-to-end tests, and stopping them reliably. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A child process whose output is collected and which can be stopped. */
export interface Child {
  process: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `command args` with `env` added to a minimal environment. */
export function startChild(command: string, args: string[], env: Record<string, string>, cwd?: string): Child {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return {
    process: child,
    output: () => output,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern} in output:\n${output}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`process exited while waiting for ${pattern}; output:\n${output}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", onExit);
        };
        listeners.add(check);
        child.once("exit", onExit);
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A fresh temporary directory. */
export function temporaryDirectory(prefix = "gemrelay-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts the built self-host bundle (dist/node/server.mjs) on a random port; resolves once it listens. */
export async function startSelfHost(env: Record<string, string>): Promise<Child & { url: string }> {
  const child = startChild(process.execPath, ["dist/node/server.mjs"], { PORT: "0", HOST: "127.0.0.1", ...env });
  const [, url = ""] = await child.waitFor(/listening on (http:\/\/\S+)/);
  return Object.assign(child, { url });
}

/** A free loopback port (listened on briefly, then released). */
export { freePort } from "../../deploy/local-runtimes.ts";
