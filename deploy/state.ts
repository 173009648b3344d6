/**
 * What earlier deploys created, so the next one reuses it instead of creating duplicates:
 * `.gemrelay/state.json` (git-ignored), keyed by the manifest's `name`, holding Netlify site ids,
 * Vercel project and team ids, and every deployable's URL. Never holds a secret.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { writeAtomically } from "./build.ts";
import { formatFieldPath } from "./manifest.ts";

/** Default state file, relative to the working directory. */
export const defaultStatePath = ".gemrelay/state.json";

const deployedAt = z.string().describe("ISO time of the last successful deploy");

const netlifyRelayState = z.object({
  platform: z.literal("netlify"),
  siteId: z.string().min(1),
  siteName: z.string().min(1),
  url: z.url(),
  region: z.string(),
  deployedAt,
});

const vercelRelayState = z.object({
  platform: z.literal("vercel"),
  projectId: z.string().min(1),
  orgId: z.string().min(1),
  projectName: z.string().min(1),
  url: z.url(),
  region: z.string(),
  deployedAt,
});

const relayState = z.discriminatedUnion("platform", [netlifyRelayState, vercelRelayState]);

const chainState = z.object({
  worker: z.object({ name: z.string().min(1), url: z.url(), deployedAt }).optional(),
  relays: z.record(z.string(), relayState).default({}),
});

const stateSchema = z.object({
  version: z.literal(1),
  chains: z.record(z.string(), chainState).default({}),
});

/** The whole state file. */
export type DeployState = z.infer<typeof stateSchema>;
/** What is known about one chain (one manifest `name`). */
export type ChainState = z.infer<typeof chainState>;
/** What is known about one relay. */
export type RelayState = z.infer<typeof relayState>;
/** What is known about a Netlify relay. */
export type NetlifyRelayState = z.infer<typeof netlifyRelayState>;
/** What is known about a Vercel relay. */
export type VercelRelayState = z.infer<typeof vercelRelayState>;

/** A state file that exists but cannot be used. */
export class StateError extends Error {
  override name = "StateError";
}

/** Reads the state file; a missing file is an empty state. */
export async function loadState(file: string): Promise<DeployState> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, chains: {} };
    throw new StateError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StateError(`${file} is not valid JSON (${(error as Error).message}); fix or delete it (the next deploy then looks sites up by name)`);
  }
  const result = stateSchema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${formatFieldPath(issue.path) || "(top level)"}: ${issue.message}`);
    throw new StateError(`${file} is not a gemrelay state file:\n  - ${problems.join("\n  - ")}`);
  }
  return result.data;
}

/** Writes the state file atomically (a crash mid-write never leaves half a file). */
export async function saveState(file: string, state: DeployState): Promise<void> {
  await writeAtomically(file, JSON.stringify(state, null, 2) + "\n");
}

/** The chain's entry, created empty when absent. */
export function chainOf(state: DeployState, name: string): ChainState {
  return (state.chains[name] ??= { relays: {} });
}
