/**
 * Running one platform CLI command non-interactively: no terminal (stdin is a pipe, so the CLIs
 * never prompt), output captured, secrets redacted from everything that is shown, a time limit.
 * A failure carries the command line and the redacted output, for the "what failed" report.
 */
import { spawn } from "node:child_process";
import type { Redactor } from "./secrets.ts";

/** A resolved executable: the program and the arguments that come before the command's own. */
export interface Executable {
  /** Name shown to users: `netlify`, `vercel`, `wrangler`. */
  name: string;
  program: string;
  prefix: readonly string[];
  /** Where it was found: on PATH, the project's own (node_modules), or run through `npx` at a pinned version. */
  origin: "PATH" | "node_modules" | "npx";
}

/** One command to run. */
export interface CommandSpec {
  tool: Executable;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** Written to the command's stdin, then stdin is closed (how secrets reach `vercel env add`). */
  stdin?: string;
  /** Default 10 minutes: first `npx` runs download a CLI. */
  timeoutMs?: number;
}

/** What a finished command printed. */
export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** A command that exited non-zero, could not start, or ran out of time. Messages are redacted. */
export class CommandFailure extends Error {
  override name = "CommandFailure";
  constructor(
    /** The redacted command line. */
    readonly commandLine: string,
    /** Exit code, or a description (`timed out after …`, `not found`). */
    readonly outcome: string,
    /** Redacted stdout followed by stderr. */
    readonly output: string,
  ) {
    super(`${commandLine} failed (${outcome})`);
  }
}

/** Quotes one argument for display the way a POSIX shell would need it. */
function shellQuote(argument: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, `'\\''`)}'`;
}

/** The command line as a user would type it (`npx --yes --package … netlify deploy …`). */
export function formatCommandLine(tool: Executable, args: readonly string[]): string {
  return [tool.origin === "npx" ? "npx" : tool.name, ...tool.prefix, ...args].map(shellQuote).join(" ");
}

/** Removes terminal colour and cursor sequences, so parsers see plain text. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "");
}

/**
 * Runs a command to completion. Resolves with its output (colour codes stripped) when it exits 0;
 * otherwise rejects with CommandFailure carrying the redacted output.
 */
export function runCommand(spec: CommandSpec, redactor: Redactor): Promise<CommandResult> {
  const commandLine = redactor.redact(formatCommandLine(spec.tool, spec.args));
  const timeoutMs = spec.timeoutMs ?? 600_000;
  return new Promise((resolve, reject) => {
    const child = spawn(spec.tool.program, [...spec.tool.prefix, ...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const output = () => redactor.redact(stripAnsi(`${stdout}${stdout && stderr ? "\n" : ""}${stderr}`)).trim();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
    }, timeoutMs);
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new CommandFailure(commandLine, error.code === "ENOENT" ? `${spec.tool.program} not found` : error.message, output()));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout: stripAnsi(stdout), stderr: stripAnsi(stderr) });
      else if (timedOut) reject(new CommandFailure(commandLine, `timed out after ${Math.round(timeoutMs / 1000)} s`, output()));
      else reject(new CommandFailure(commandLine, signal ? `killed by ${signal}` : `exit code ${code}`, output()));
    });
    // A CLI that exits before reading its input closes the pipe; that is its answer, not ours.
    child.stdin.on("error", () => undefined);
    child.stdin.end(spec.stdin ?? "");
  });
}
