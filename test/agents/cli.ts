/**
 * The real agent CLIs from npm, for the agents suite (`npm run test:agents`): each pinned
 * version is installed once into node_modules/.cache/gemrelay-agents and run headless with a
 * throwaway home, against a resume-worker target in front of the simulator.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { RecordedRequest } from "../sim/index.ts";

const run = promisify(execFile);

/** The path of `bin` of `pkg@version`, installed on first use (a plain `npm install`, nothing global). */
export async function agentBinary(pkg: string, version: string, bin: string): Promise<string> {
  const prefix = resolve("node_modules/.cache/gemrelay-agents", `${pkg.replace(/[@/]/g, "_")}-${version}`);
  const path = join(prefix, "node_modules", ".bin", bin);
  if (existsSync(path)) return path;
  mkdirSync(prefix, { recursive: true });
  await run("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--no-save", `${pkg}@${version}`], { timeout: 300_000 });
  if (!existsSync(path)) throw new Error(`npm installed ${pkg}@${version} but ${path} is missing`);
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
