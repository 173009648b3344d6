/**
 * Deploying one egress relay to Netlify with netlify-cli, non-interactively, from the built folder
 * `<out>/netlify/<id>/` (functions/gemrelay.mjs with its literal `config.region`, publish/, and a
 * netlify.toml that ships the bundle unchanged):
 *
 * 1. find the site: the id recorded by the last deploy, else `netlify sites:list --json` by name
 *    (so a lost state file never leads to a second site), else `netlify sites:create --json`;
 * 2. `netlify env:import <file> --site <id>`: RELAY_TOKEN and GEMINI_UPSTREAM from a 0600 file
 *    (`env:set K V` would put the value on the command line), and AWS_LAMBDA_JS_RUNTIME, which
 *    `netlify deploy` reads from the site to pick the function's Lambda runtime;
 * 3. `netlify deploy --prod --no-build --dir publish --functions functions --site <id> --json`.
 *
 * Output formats checked against netlify-cli 26.2 (commands/sites/sites-create.js,
 * commands/deploy/deploy.js `printResults`): `--json` silences every other line on stdout.
 * Netlify's "secret" flag on variables (Secrets Controller) is an Enterprise feature, so the
 * variables are plain site variables, readable by the site's team only.
 */
import { z } from "zod";
import { parseJsonOutput } from "./cli-output.ts";
import type { NetlifyRelaySpec } from "./manifest.ts";
import { relayDeployName } from "./manifest.ts";
import { type PlannedCommand, plannedCommands, type RelayDeployed, type RelayDeployInput } from "./relay-deploy.ts";
import { relayPlatformFacts } from "./platforms.ts";
import { dotenvLine, withSecretFile } from "./secrets.ts";
import type { NetlifyRelayState } from "./state.ts";

/** Folders inside the relay's deploy folder (written by the build). */
const publishFolder = "publish";
const functionsFolder = "functions";

/** The argument lists, shared by the deploy and the dry-run plan. */
export const netlifyArgs = {
  listSites: () => ["sites:list", "--json"],
  createSite: (name: string, team: string | undefined) => [
    "sites:create",
    "--name",
    name,
    ...(team ? ["--account-slug", team] : []),
    "--disable-linking",
    "--json",
  ],
  importVariables: (file: string, siteId: string) => ["env:import", file, "--site", siteId, "--json"],
  deploy: (siteId: string) => [
    "deploy",
    "--prod",
    "--no-build",
    "--dir",
    publishFolder,
    "--functions",
    functionsFolder,
    "--site",
    siteId,
    "--message",
    "gemrelay deploy",
    "--json",
  ],
};

const siteOutput = z.object({ id: z.string().min(1), name: z.string().min(1) });
const siteListOutput = z.array(z.object({ id: z.string().min(1), name: z.string() }));
const deployOutput = z.object({ site_id: z.string().min(1), deploy_url: z.url(), url: z.url().optional() });

type NetlifyInput = RelayDeployInput<NetlifyRelaySpec, NetlifyRelayState>;

/** The site to deploy to: recorded, found by name, or created. */
async function ensureSite(input: NetlifyInput, name: string): Promise<{ id: string; name: string }> {
  if (input.previous) return { id: input.previous.siteId, name: input.previous.siteName };
  const listed = await input.run(input.tool, netlifyArgs.listSites(), { cwd: input.dir, env: input.env });
  // An account without sites prints nothing at all.
  const sites = listed.stdout.trim() === "" ? [] : parseJsonOutput(siteListOutput, listed.stdout, "netlify sites:list --json");
  const existing = sites.find((site) => site.name === name);
  if (existing) {
    input.note(`site ${name} exists (${existing.id}); reusing it`);
    return existing;
  }
  const created = await input.run(input.tool, netlifyArgs.createSite(name, input.spec.team), { cwd: input.dir, env: input.env });
  const site = parseJsonOutput(siteOutput, created.stdout, "netlify sites:create --json");
  // Non-interactive sites:create appends a random suffix when the name is taken by someone else.
  input.note(site.name === name ? `created site ${site.name} (${site.id})` : `created site ${site.name} (${site.id}); "${name}" was taken`);
  return site;
}

/** Deploys one Netlify relay; resolves with its production URL. */
export async function deployNetlifyRelay(input: NetlifyInput): Promise<RelayDeployed<NetlifyRelayState>> {
  const site = await ensureSite(input, relayDeployName(input.manifest, input.spec));
  // netlify-cli zips the function for the Lambda runtime the site's AWS_LAMBDA_JS_RUNTIME names,
  // else its default: set it with the other variables so the runtime is the one platforms.ts says.
  const variables = { ...input.variables, AWS_LAMBDA_JS_RUNTIME: relayPlatformFacts.netlify.lambdaRuntime };
  const dotenv = Object.entries(variables).map(([key, value]) => dotenvLine(key, value)).join("\n") + "\n";
  await withSecretFile("relay.env", dotenv, (file) =>
    input.run(input.tool, netlifyArgs.importVariables(file, site.id), { cwd: input.dir, env: input.env }),
  );
  const deployed = await input.run(input.tool, netlifyArgs.deploy(site.id), { cwd: input.dir, env: input.env });
  const result = parseJsonOutput(deployOutput, deployed.stdout, "netlify deploy --json");
  const url = (result.url ?? result.deploy_url).replace(/\/+$/, "");
  return {
    url,
    state: {
      platform: "netlify",
      siteId: result.site_id,
      siteName: site.name,
      url,
      region: input.spec.region,
      deployedAt: new Date().toISOString(),
    },
  };
}

/** The commands a deploy of this relay would run, given what the state records. */
export function planNetlifyRelay(input: Pick<NetlifyInput, "manifest" | "spec" | "dir" | "tool" | "previous">): PlannedCommand[] {
  const name = relayDeployName(input.manifest, input.spec);
  const siteId = input.previous?.siteId ?? "<site-id>";
  const command = plannedCommands(input.tool, input.dir);
  const commands: PlannedCommand[] = [];
  if (!input.previous) {
    commands.push(command(netlifyArgs.listSites(), `look for an existing site named ${name}`));
    commands.push(command(netlifyArgs.createSite(name, input.spec.team), "create the site when none has that name"));
  }
  commands.push(command(netlifyArgs.importVariables("<temporary file>", siteId), "set RELAY_TOKEN, GEMINI_UPSTREAM and AWS_LAMBDA_JS_RUNTIME", "dotenv file, mode 0600, deleted afterwards"));
  commands.push(command(netlifyArgs.deploy(siteId), `deploy the function (region ${input.spec.region}) to production`));
  return commands;
}
