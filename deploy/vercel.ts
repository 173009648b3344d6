/**
 * Deploying one egress relay to Vercel with the Vercel CLI, non-interactively, from the built
 * folder `<out>/vercel/<id>/` holding `.vercel/output/` (Build Output API v3; the function's
 * `.vc-config.json` pins the region and maxDuration):
 *
 * 1. first deploy only: `vercel project add <name>` (answers success when the project already
 *    exists, so a lost state file never creates a second one), then `vercel link --yes --project
 *    <name>`, which finds the now existing project and writes `.vercel/project.json` with the
 *    project and team ids (`link --yes` on a missing project would create one and connect the Git
 *    repository around the folder, which is why the project is added first);
 * 2. `vercel env add <K> production --sensitive --force --yes` for RELAY_TOKEN and
 *    GEMINI_UPSTREAM, the value on stdin;
 * 3. `vercel deploy --prebuilt --prod --yes`.
 *
 * From step 2 on every command gets VERCEL_ORG_ID and VERCEL_PROJECT_ID in its environment, the
 * documented way to address a project from CI; VERCEL_TOKEN is read from the environment too
 * (never `--token`). Output checked against vercel 64.0.2: with stdout not a terminal, `deploy`
 * writes only the deployment URL there, and reports `Aliased  https://<production domain>` on
 * stderr. The production domain is the one to use: Vercel's default Deployment Protection
 * guards the per-deployment URLs, not the production domain.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { findUrls, OutputError, parseJsonOutput } from "./cli-output.ts";
import type { VercelRelaySpec } from "./manifest.ts";
import { relayDeployName } from "./manifest.ts";
import { type PlannedCommand, plannedCommands, type RelayDeployed, type RelayDeployInput } from "./relay-deploy.ts";
import type { VercelRelayState } from "./state.ts";

/** `--scope <team>` when the manifest or VERCEL_ORG_ID names a team. */
function scope(team: string | undefined): string[] {
  return team ? ["--scope", team] : [];
}

/** The argument lists, shared by the deploy and the dry-run plan. */
export const vercelArgs = {
  addProject: (name: string, team: string | undefined) => ["project", "add", name, ...scope(team)],
  link: (name: string, team: string | undefined) => ["link", "--yes", "--project", name, ...scope(team)],
  addVariable: (key: string) => ["env", "add", key, "production", "--sensitive", "--force", "--yes"],
  deploy: () => ["deploy", "--prebuilt", "--prod", "--yes"],
};

const projectLink = z.object({ projectId: z.string().min(1), orgId: z.string().min(1) });

type VercelInput = RelayDeployInput<VercelRelaySpec, VercelRelayState>;

/** The team to create the project in: the manifest's, else VERCEL_ORG_ID, else the token's default. */
function teamOf(input: Pick<VercelInput, "spec" | "env">): string | undefined {
  return input.spec.team ?? input.env.VERCEL_ORG_ID;
}

/** Environment without a project link, for the commands that establish one. */
function unlinkedEnvironment(env: Record<string, string>): Record<string, string> {
  // With only one of the pair set, the CLI refuses to run; with both, it would target that project.
  const { VERCEL_ORG_ID: _org, VERCEL_PROJECT_ID: _project, ...rest } = env;
  return rest;
}

/** Project and team ids: recorded, or established by `project add` + `link`. */
async function ensureProject(input: VercelInput, name: string): Promise<{ projectId: string; orgId: string }> {
  if (input.previous) return { projectId: input.previous.projectId, orgId: input.previous.orgId };
  const env = unlinkedEnvironment(input.env);
  await input.run(input.tool, vercelArgs.addProject(name, teamOf(input)), { cwd: input.dir, env });
  await input.run(input.tool, vercelArgs.link(name, teamOf(input)), { cwd: input.dir, env });
  const linkFile = path.join(input.dir, ".vercel", "project.json");
  let text: string;
  try {
    text = await readFile(linkFile, "utf8");
  } catch {
    throw new OutputError(`vercel link: ${linkFile} was not written`);
  }
  const link = parseJsonOutput(projectLink, text, `vercel link (${linkFile})`);
  input.note(`project ${name}: ${link.projectId} (team ${link.orgId})`);
  return link;
}

/** The URL relays are reached at: the production alias when reported, else the deployment URL. */
export function vercelDeploymentUrl(stdout: string, stderr: string): string {
  const aliased = /Aliased:?\s+(https?:\/\/\S+)/.exec(stderr)?.[1];
  const deployment = findUrls(stdout).at(-1);
  const url = aliased ?? deployment;
  if (!url) throw new OutputError(`vercel deploy: no deployment URL in its output: ${stdout.trim().slice(0, 300) || "(nothing)"}`);
  return url.replace(/\/+$/, "");
}

/** Deploys one Vercel relay; resolves with its production URL. */
export async function deployVercelRelay(input: VercelInput): Promise<RelayDeployed<VercelRelayState>> {
  const name = relayDeployName(input.manifest, input.spec);
  const link = await ensureProject(input, name);
  const env = { ...input.env, VERCEL_ORG_ID: link.orgId, VERCEL_PROJECT_ID: link.projectId };
  for (const [key, value] of Object.entries(input.variables)) {
    await input.run(input.tool, vercelArgs.addVariable(key), { cwd: input.dir, env, stdin: value });
  }
  const deployed = await input.run(input.tool, vercelArgs.deploy(), { cwd: input.dir, env });
  const url = vercelDeploymentUrl(deployed.stdout, deployed.stderr);
  return {
    url,
    state: {
      platform: "vercel",
      projectId: link.projectId,
      orgId: link.orgId,
      projectName: name,
      url,
      region: input.spec.region,
      deployedAt: new Date().toISOString(),
    },
  };
}

/** The commands a deploy of this relay would run, given what the state records. */
export function planVercelRelay(input: Pick<VercelInput, "manifest" | "spec" | "dir" | "tool" | "previous" | "env">): PlannedCommand[] {
  const name = relayDeployName(input.manifest, input.spec);
  const command = plannedCommands(input.tool, input.dir);
  const commands: PlannedCommand[] = [];
  if (!input.previous) {
    commands.push(command(vercelArgs.addProject(name, teamOf(input)), "create the project (no-op when it exists)"));
    commands.push(command(vercelArgs.link(name, teamOf(input)), "record its project and team ids"));
  }
  for (const key of ["RELAY_TOKEN", "GEMINI_UPSTREAM"]) {
    commands.push(command(vercelArgs.addVariable(key), `set ${key}`, "stdin"));
  }
  commands.push(command(vercelArgs.deploy(), `deploy .vercel/output (region ${input.spec.region}) to production`));
  return commands;
}
