/**
 * What the Netlify and Vercel relay deployers share: their input, the command runner they are
 * handed, and the planned command list a dry run prints.
 */
import type { CommandResult, Executable } from "./command.ts";
import type { Manifest, RelaySpec } from "./manifest.ts";
import type { RelayState } from "./state.ts";

/** Runs one CLI command (logging it, redacted) and resolves with its output; rejects on failure. */
export type RunCommand = (
  tool: Executable,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; stdin?: string },
) => Promise<CommandResult>;

/** Everything a relay deployer needs. */
export interface RelayDeployInput<Spec extends RelaySpec, State extends RelayState> {
  manifest: Manifest;
  spec: Spec;
  /** The built deploy folder of this relay (`<out>/netlify/<id>` or `<out>/vercel/<id>`). */
  dir: string;
  tool: Executable;
  /** Environment of the CLI: the user's, minus secret variables. */
  env: Record<string, string>;
  /** Values the relay reads at run time. */
  variables: { RELAY_TOKEN: string; GEMINI_UPSTREAM: string };
  /** What the last deploy of this relay recorded, when it deployed to the same site/project. */
  previous: State | undefined;
  run: RunCommand;
  /** A progress line under the relay's heading. */
  note: (line: string) => void;
}

/** A deployed relay: its public base URL and what to remember for the next deploy. */
export interface RelayDeployed<State extends RelayState> {
  url: string;
  state: State;
}

/** One planned command: the CLI, its arguments (placeholders like `<site-id>` where unknown yet), and why. */
export interface PlannedCommand {
  tool: Executable;
  args: readonly string[];
  cwd: string;
  /** What the command does, e.g. "create the site (first deploy only)". */
  purpose: string;
  /** How secrets reach it, when they do ("stdin", "file 0600"). */
  secrets?: string;
}

/** A builder of PlannedCommands for one CLI run in one folder. */
export function plannedCommands(tool: Executable, cwd: string) {
  return (args: readonly string[], purpose: string, secrets?: string): PlannedCommand => ({
    tool,
    args,
    cwd,
    purpose,
    ...(secrets ? { secrets } : {}),
  });
}
