/**
 * The real agent CLIs from npm, for the agents tests (test/agents, part of `npm test`): pinned
 * devDependencies (`@anthropic-ai/claude-code`, `@openai/codex`), so `npm ci` installs them,
 * each run headless with a throwaway home against a resume-worker target in front of the
 * simulator.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { RecordedRequest } from "../sim/index.ts";

/** The path of an installed CLI's `bin` (node_modules/.bin); a clear error when `npm ci` has not installed it. */
export function agentBinary(bin: string, pkg: string): string {
  const path = resolve("node_modules/.bin", bin);
  if (!existsSync(path)) throw new Error(`${path} is missing: ${pkg} is a devDependency, run npm ci (or npm install)`);
  return path;
}

/** How a CLI run ended. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `binary` with `args` in `cwd` with exactly `env` (plus PATH), stdin closed. */
export function runCli(binary: string, args: string[], cwd: string, env: Record<string, string>): Promise<CliRun> {
  return new Promise((done) => {
    const child = execFile(binary, args, { cwd, timeout: 150_000, maxBuffer: 16 * 1024 * 1024, env: { PATH: process.env.PATH ?? "", ...env } }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
}

type Contents = { role: string; parts: Record<string, unknown>[] }[];

/** The last tool result in a generate request the simulator received: `name` and the output text, or null. */
export function lastToolResult(request: RecordedRequest): { name: string; output: string } | null {
  const contents = (request.body as { contents?: Contents }).contents ?? [];
  for (const content of [...contents].reverse()) {
    for (const part of content.parts) {
      const result = part.functionResponse as { name: string; response: Record<string, unknown> } | undefined;
      if (result) return { name: result.name, output: JSON.stringify(result.response) };
    }
  }
  return null;
}
