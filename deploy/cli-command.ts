/**
 * The shape of one `gemrelay` subcommand and the pieces of help text several share, so each
 * command can live in its own module (`deploy-command.ts`) and `cli.ts` only dispatches.
 */
import type { parseArgs } from "node:util";

/** One subcommand: its one-line summary, full usage (printed by `--help`), options and action. */
export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>["options"];
  /** Whether the command takes positional arguments (default: none). */
  positionals?: boolean;
  /** Resolves with the exit code. */
  run(values: Record<string, unknown>, positionals?: string[]): Promise<number>;
}

/** A command-line mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The `--manifest <file>` option, shared by every command that reads the manifest. */
export const manifestOption = { manifest: { type: "string" } } as const;
/** Its help line. */
export const manifestHelp = "  --manifest <file>   manifest to use (default: $GEMRELAY_MANIFEST, else deploy/manifest.yaml)";

/** Items of a repeatable, comma-separated option (`--only a,b --only c`). */
export function optionList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return items.flatMap((item) => String(item).split(",")).map((item) => item.trim()).filter(Boolean);
}
