/**
 * The part of `gemrelay deploy` shared by real and dry runs: which deployables `--only` selects,
 * the checks that must pass before anything is built (secrets, platform tokens, the state file),
 * the one build, the offline checks of each built folder, and the environment the platform CLIs
 * get (the user's, minus every secret variable: the CLIs need tokens, never our secrets).
 */
import path from "node:path";
import { type BuildResult, buildAll } from "./build.ts";
import type { Executable } from "./command.ts";
import type { Manifest, RelaySpec, SecretName } from "./manifest.ts";
import { readSecrets, secretNames } from "./manifest.ts";
import { workerSecretNames } from "./cloudflare.ts";
import { checkNetlifyFolder, checkVercelFolder, type PreflightReport } from "./preflight.ts";
import { Redactor, requireSecrets } from "./secrets.ts";
import { chainOf, type DeployState, loadState } from "./state.ts";
import { resolveTool, type ToolName } from "./tools.ts";

/** Options of a deploy, from the command line. */
export interface DeployOptions {
  manifest: Manifest;
  /** The manifest's path, named in messages. */
  manifestFile: string;
  /** Where secrets, tokens and PATH come from. */
  env: Record<string, string | undefined>;
  /** `--only`: relay ids and/or `worker`; empty or absent: everything. */
  only?: readonly string[];
  dryRun?: boolean;
  /** Build and artifact folder (absolute). */
  outDir: string;
  /** State file (absolute). */
  stateFile: string;
  /** Model of the final request through the chain. */
  model: string;
  /** Repository root holding relays/ (tests); default this project. */
  root?: string;
  /** Progress lines. Never receives a secret value. */
  log: (line: string) => void;
  /** How long a fresh deployable may take to answer /health, ms. Default 90 000. */
  healthTimeoutMs?: number;
  /** How long the final request may keep failing while a fresh worker settles, ms. Default 60 000. */
  checkTimeoutMs?: number;
}

/** A deploy that cannot go on: what happened, what to do, and the failing command's output. */
export class DeployError extends Error {
  override name = "DeployError";
  constructor(
    message: string,
    readonly hint: string,
    readonly output = "",
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** What `--only` selected. */
export interface Selection {
  worker: boolean;
  relays: RelaySpec[];
}

/** Resolves `--only` against the manifest; throws DeployError (exit 2) on an unknown name. */
export function selectDeployables(manifest: Manifest, only: readonly string[] | undefined): Selection {
  const names = only ?? [];
  const known = ["worker", ...manifest.relays.map((relay) => relay.id)];
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new DeployError(`unknown --only target${unknown.length > 1 ? "s" : ""} ${unknown.map((name) => `"${name}"`).join(", ")}`, `Known: ${known.join(", ")}.`, "", 2);
  }
  const wants = (name: string) => names.length === 0 || names.includes(name);
  return { worker: wants("worker"), relays: manifest.relays.filter((relay) => wants(relay.id)) };
}

/** The secrets the selection needs: relays read RELAY_TOKEN; the worker reads all four. */
export function neededSecrets(selection: Selection): SecretName[] {
  const needed = new Set<SecretName>();
  if (selection.relays.length > 0) needed.add("RELAY_TOKEN");
  if (selection.worker) for (const name of workerSecretNames) needed.add(name);
  return secretNames.filter((name) => needed.has(name));
}

/** Platform tokens by tool, with where to get them. */
const tokens: Record<ToolName, { variable: string; how: string }[]> = {
  netlify: [{ variable: "NETLIFY_AUTH_TOKEN", how: "a personal access token from https://app.netlify.com/user/applications#personal-access-tokens" }],
  vercel: [{ variable: "VERCEL_TOKEN", how: "a token from https://vercel.com/account/tokens" }],
  wrangler: [
    { variable: "CLOUDFLARE_API_TOKEN", how: 'an API token from https://dash.cloudflare.com/profile/api-tokens (template "Edit Cloudflare Workers")' },
    { variable: "CLOUDFLARE_ACCOUNT_ID", how: "the account id shown in the Cloudflare dashboard (Workers & Pages, right column)" },
  ],
};

/** The CLIs a selection uses. */
export function toolsOf(selection: Selection): ToolName[] {
  const used = new Set<ToolName>();
  for (const relay of selection.relays) used.add(relay.platform);
  if (selection.worker) used.add("wrangler");
  return (["netlify", "vercel", "wrangler"] as const).filter((name) => used.has(name));
}

/** The platform tokens `tools` need that `env` lacks. */
export function missingTokens(tools: readonly ToolName[], env: Record<string, string | undefined>): { variable: string; how: string }[] {
  return tools.flatMap((tool) => tokens[tool].filter((token) => !env[token.variable]?.trim()));
}

/** Throws DeployError listing every platform token the selection needs and the environment lacks. */
export function requireTokens(tools: readonly ToolName[], env: Record<string, string | undefined>): void {
  const missing = missingTokens(tools, env);
  if (missing.length === 0) return;
  throw new DeployError(
    `missing platform token${missing.length > 1 ? "s" : ""}: ${missing.map((token) => token.variable).join(", ")}`,
    missing.map((token) => `Export ${token.variable}: ${token.how}.`).join("\n"),
  );
}

/** The environment the platform CLIs run with: everything but the secret variables. */
export function toolEnvironment(manifest: Manifest, env: Record<string, string | undefined>): Record<string, string> {
  const secretVariables = new Set<string>([...secretNames, ...Object.values(manifest.secrets)]);
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !secretVariables.has(name)) result[name] = value;
  }
  return result;
}

/** Everything a real or dry run starts from. */
export interface PreparedDeploy {
  options: DeployOptions;
  selection: Selection;
  secrets: Partial<Record<SecretName, string>>;
  redactor: Redactor;
  state: DeployState;
  tools: Partial<Record<ToolName, Executable>>;
  toolEnv: Record<string, string>;
  build: BuildResult;
  /** Built folder per selected relay id. */
  relayDirs: Map<string, string>;
}

/**
 * Checks everything that can fail without the network (secrets, tokens unless dry, state file),
 * then builds the selected deployables once and checks each built relay folder.
 */
export async function prepareDeploy(options: DeployOptions): Promise<PreparedDeploy> {
  const { manifest, log } = options;
  const selection = selectDeployables(manifest, options.only);
  const present = readSecrets(manifest, options.env).values;
  // AUTH_KEY also serves the final request when only relays are deployed: used if set, not required.
  const secrets = { ...(present.AUTH_KEY ? { AUTH_KEY: present.AUTH_KEY } : {}), ...requireSecrets(manifest, options.env, neededSecrets(selection), options.manifestFile) };
  const toolNames = toolsOf(selection);
  if (!options.dryRun) requireTokens(toolNames, options.env);
  let state: DeployState;
  try {
    state = await loadState(options.stateFile);
  } catch (error) {
    throw new DeployError((error as Error).message, "The state file only records ids and URLs; deleting it is safe (sites are then found by name).");
  }
  // Every secret that is set is redacted, needed by this deploy or not.
  if (selection.worker && !options.dryRun) {
    const recorded = chainOf(state, manifest.name).relays;
    const missing = manifest.relays.filter((relay) => !selection.relays.includes(relay) && !recorded[relay.id]);
    if (missing.length > 0) {
      const ids = missing.map((relay) => relay.id);
      throw new DeployError(
        `the worker needs the URL of every relay, and ${ids.join(", ")} ${ids.length > 1 ? "have" : "has"} never been deployed`,
        `Deploy ${ids.length > 1 ? "them" : "it"} first: \`gemrelay deploy\` (everything) or \`gemrelay deploy --only ${ids.join(",")},worker\`.`,
      );
    }
  }
  const redactor = new Redactor(Object.values(present));
  const toolEnv = toolEnvironment(manifest, options.env);
  const tools: Partial<Record<ToolName, Executable>> = {};
  for (const name of toolNames) tools[name] = resolveTool(name, toolEnv);

  log(`==> build (${path.relative(process.cwd(), options.outDir) || options.outDir})`);
  const only = [...(selection.worker ? ["worker"] : []), ...selection.relays.map((relay) => relay.id)];
  const build = await buildAll({ manifest, outDir: options.outDir, ...(options.root ? { root: options.root } : {}), only });
  log(`    ${build.artifacts.length} bundle${build.artifacts.length === 1 ? "" : "s"} in ${build.durationMs} ms`);

  const relayDirs = new Map(build.relays.map((relay) => [relay.id, relay.dir]));
  for (const spec of selection.relays) {
    const dir = relayDirs.get(spec.id)!;
    let report: PreflightReport;
    try {
      report = spec.platform === "netlify" ? await checkNetlifyFolder(dir, spec) : await checkVercelFolder(dir, spec);
    } catch (error) {
      throw new DeployError(`relay ${spec.id}: ${(error as Error).message}`, "The build output is not what the platform expects; this is a gemrelay bug, please report it.");
    }
    log(`    ${spec.id}: ${report.join("; ")}`);
  }
  return { options, selection, secrets, redactor, state, tools, toolEnv, build, relayDirs };
}
