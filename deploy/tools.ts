/**
 * Which `wrangler`, `netlify` and `vercel` a deploy runs. The first one on PATH wins (under
 * `npx gemrelay …` that is the project's own node_modules/.bin first); otherwise the one in this
 * project's node_modules (wrangler, and netlify-cli, a devDependency for the real-runtime tests);
 * otherwise, for Vercel, `npx` at the version pinned here, so an install does not carry it.
 */
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import type { Executable } from "./command.ts";
import { repositoryRoot } from "./targets.ts";

/** The platform CLIs a deploy uses. */
export type ToolName = "wrangler" | "netlify" | "vercel";

/**
 * Versions run through `npx` when a CLI is not installed. Checked with `npm view` (2026-11):
 * netlify-cli 26.2.0 is the newest that runs on Node 20 (27.x needs Node ≥ 22.13); vercel 64.0.2
 * needs Node ≥ 20; wrangler matches package.json.
 */
export const pinnedPackages: Record<ToolName, { spec: string; bin: string }> = {
  wrangler: { spec: "wrangler@4.86.0", bin: "wrangler" },
  netlify: { spec: "netlify-cli@26.2.0", bin: "netlify" },
  vercel: { spec: "vercel@64.0.2", bin: "vercel" },
};

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable file called `name` in the folders of `searchPath` (a PATH value). */
export function findOnPath(name: string, searchPath: string | undefined): string | undefined {
  for (const folder of (searchPath ?? "").split(path.delimiter)) {
    if (!folder) continue;
    const candidate = path.join(folder, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Resolves one CLI for the environment `env` (its PATH decides). */
export function resolveTool(name: ToolName, env: Record<string, string | undefined>): Executable {
  const onPath = findOnPath(name, env.PATH);
  if (onPath) return { name, program: onPath, prefix: [], origin: "PATH" };
  const own = path.join(repositoryRoot, "node_modules", ".bin", pinnedPackages[name].bin);
  if (isExecutableFile(own)) return { name, program: own, prefix: [], origin: "node_modules" };
  const npx = findOnPath("npx", env.PATH) ?? path.join(path.dirname(process.execPath), "npx");
  const pinned = pinnedPackages[name];
  // `--package … <bin>`: netlify-cli has two bins (netlify, ntl), so npx needs to be told which.
  return { name, program: npx, prefix: ["--yes", "--package", pinned.spec, pinned.bin], origin: "npx" };
}
