/** Helpers of the deploy suites: temp folders, free port blocks, a recording fake upstream, the CLI. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { repositoryRoot } from "../../deploy/targets.ts";

/** A fresh temporary folder, removed by `cleanup()`. */
export function temporaryFolder(prefix = "gemrelay-deploy-"): { path: string; cleanup(): void } {
  const folder = mkdtempSync(path.join(tmpdir(), prefix));
  return { path: folder, cleanup: () => rmSync(folder, { recursive: true, force: true }) };
}

/** Writes a manifest object as YAML into `folder` and returns its path. */
export function writeManifest(folder: string, manifest: unknown, name = "manifest.yaml"): string {
  const file = path.join(folder, name);
  writeFileSync(file, stringify(manifest));
  return file;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port P such that P … P+count-1 are all free on 127.0.0.1 right now. */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const checks = await Promise.all(Array.from({ length: count }, (_, index) => portFree(base + index)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error(`no block of ${count} free ports found`);
}

/** True when nothing accepts connections on 127.0.0.1:port. */
export function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

/** True while a process with this id exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One request the fake upstream received. */
export interface UpstreamRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/**
 * A fake Gemini upstream that records requests and answers every generate call with one SSE
 * event ("pong") and everything else with a small JSON body.
 */
export async function startFakeUpstream(): Promise<{ url: string; requests: UpstreamRequest[]; close(): Promise<void> }> {
  const requests: UpstreamRequest[] = [];
  const server = createHttpServer((request, response) => {
    request.resume();
    request.on("end", () => {
      requests.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers });
      const answer = {
        candidates: [{ content: { role: "model", parts: [{ text: "pong" }] }, finishReason: "STOP", index: 0 }],
        usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
        modelVersion: "gemini-2.5-flash",
        responseId: "fake-1",
      };
      if (request.url?.includes(":streamGenerateContent")) {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.end(`data: ${JSON.stringify(answer)}\r\n\r\n`);
      } else {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(request.url?.includes(":generateContent") ? answer : { models: [] }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A running `gemrelay` CLI child with its collected output. */
export interface CliProcess {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<number | string>;
}

/** Runs `node deploy/bin/gemrelay.js <args>` with exactly `env` (plus PATH and HOME). */
export function runCli(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [path.join(repositoryRoot, "deploy/bin/gemrelay.js"), ...args], {
    cwd: repositoryRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const waiters = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of waiters) waiter();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 45_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) finish(() => resolve(match));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${output}`))), timeoutMs);
        const onExit = () => finish(() => reject(new Error(`exited while waiting for ${pattern}; output:\n${output}`)));
        const finish = (then: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off("exit", onExit);
          then();
        };
        waiters.add(check);
        child.once("exit", onExit);
        check();
        if (child.exitCode !== null || child.signalCode !== null) onExit();
      });
    },
  };
}
