/**
 * `gemrelay deploy` for real: each selected relay (site/project, variables, deploy, health), then
 * the worker (config with the relay URLs, deploy, secrets, health), then one request through the
 * chain and the summary. The state file is saved after every deployable, so a failure halfway
 * keeps what was done and the next run resumes without creating anything twice.
 */
import path from "node:path";
import { splitList } from "../shared/secrets.ts";
import { checkChain, type ChainCheck } from "./chain-check.ts";
import { OutputError } from "./cli-output.ts";
import { deployWorker, workerSecretNames, writeWorkerDeployConfig } from "./cloudflare.ts";
import { CommandFailure, formatCommandLine, runCommand } from "./command.ts";
import { DeployError, type PreparedDeploy } from "./deploy-setup.ts";
import { formatSummary, summaryRows } from "./deploy-report.ts";
import { checkRelayHealth, checkWorkerHealth } from "./health.ts";
import type { RelaySpec } from "./manifest.ts";
import { relayDeployName, relayStreamLimitSeconds, relayUpstream } from "./manifest.ts";
import { deployNetlifyRelay } from "./netlify.ts";
import type { RelayDeployed, RunCommand } from "./relay-deploy.ts";
import { chainOf, type RelayState, saveState } from "./state.ts";
import type { ToolName } from "./tools.ts";
import { deployVercelRelay } from "./vercel.ts";
import { workerVariables } from "./worker-env.ts";

/** The outcome of a deploy, for the exit code and tests. */
export interface DeployOutcome {
  ok: boolean;
  /** The printed summary. */
  summary: string;
  check?: ChainCheck;
}

/** What to do when a platform's command fails, by CLI. */
const hints: Record<ToolName, string> = {
  netlify:
    "Check NETLIFY_AUTH_TOKEN; when the token reaches several Netlify teams, set `team:` (the team slug) on the relay in the manifest.",
  vercel:
    "Check VERCEL_TOKEN; for a team, set VERCEL_ORG_ID or `team:` on the relay in the manifest. A name taken by another account needs `project:` in the manifest.",
  wrangler:
    "Check CLOUDFLARE_API_TOKEN (template \"Edit Cloudflare Workers\") and CLOUDFLARE_ACCOUNT_ID; the account needs a workers.dev subdomain (Workers & Pages in the dashboard).",
};

/** The previous state of a relay, when it deployed to the site/project the manifest still names. */
function previousOf(prepared: PreparedDeploy, spec: RelaySpec): RelayState | undefined {
  const recorded = chainOf(prepared.state, prepared.options.manifest.name).relays[spec.id];
  if (!recorded || recorded.platform !== spec.platform) return undefined;
  const name = relayDeployName(prepared.options.manifest, spec);
  const recordedName = recorded.platform === "netlify" ? recorded.siteName : recorded.projectName;
  // A site created under a suffixed name (the wanted one was taken) is still ours.
  return recordedName === name || recordedName.startsWith(`${name}-`) ? recorded : undefined;
}

/** Runs `action`, turning a failed command or unreadable output into a DeployError with a hint. */
async function step<T>(prepared: PreparedDeploy, what: string, tool: ToolName, action: () => Promise<T>): Promise<T> {
  const stateFile = path.relative(process.cwd(), prepared.options.stateFile);
  const again =
    `Fix the cause and run the same command again: ${stateFile} records what is already deployed, so nothing is created twice. ` +
    `If a site or project was deleted on the platform, remove its entry from ${stateFile} first.`;
  try {
    return await action();
  } catch (error) {
    if (error instanceof CommandFailure) {
      throw new DeployError(`${what}: \`${error.commandLine}\` failed (${error.outcome})`, `${hints[tool]}\n${again}`, error.output);
    }
    if (error instanceof OutputError) throw new DeployError(`${what}: ${error.message}`, `Is the ${tool} CLI much newer or older than the pinned one? ${again}`);
    throw error;
  }
}

/** Deploys what `prepared` selected. Throws DeployError on the first failed command. */
export async function executeDeploy(prepared: PreparedDeploy): Promise<DeployOutcome> {
  const { options, selection, secrets, redactor, toolEnv } = prepared;
  const { manifest, log } = options;
  const healthTimeoutMs = options.healthTimeoutMs ?? 90_000;
  const chain = chainOf(prepared.state, manifest.name);
  const known = new Map<string, { url?: string; health: string; name?: string }>();
  const run: RunCommand = (tool, args, runOptions) => {
    log(`    $ ${redactor.redact(formatCommandLine(tool, args))}`);
    return runCommand({ tool, args, ...runOptions }, redactor);
  };
  const save = () => saveState(options.stateFile, prepared.state);

  for (const spec of selection.relays) {
    const name = relayDeployName(manifest, spec);
    log(`==> relay ${spec.id}: ${spec.platform === "netlify" ? "Netlify site" : "Vercel project"} ${name}, region ${spec.region}`);
    const common = {
      manifest,
      dir: prepared.relayDirs.get(spec.id)!,
      env: toolEnv,
      variables: { RELAY_TOKEN: secrets.RELAY_TOKEN!, GEMINI_UPSTREAM: relayUpstream(manifest, spec) },
      run,
      note: (line: string) => log(`    ${line}`),
    };
    const previous = previousOf(prepared, spec);
    const deployed = await step<RelayDeployed<RelayState>>(prepared, `relay ${spec.id}`, spec.platform, () =>
      spec.platform === "netlify"
        ? deployNetlifyRelay({ ...common, spec, tool: prepared.tools.netlify!, previous: previous?.platform === "netlify" ? previous : undefined })
        : deployVercelRelay({ ...common, spec, tool: prepared.tools.vercel!, previous: previous?.platform === "vercel" ? previous : undefined }),
    );
    chain.relays[spec.id] = deployed.state;
    await save();
    const health = await checkRelayHealth(deployed.url, { platform: spec.platform, region: spec.region }, healthTimeoutMs);
    log(`    ${deployed.url}: ${health.ok ? "" : "UNHEALTHY, "}${health.detail}`);
    known.set(spec.id, { url: deployed.url, health: health.detail, name: deployed.state.platform === "netlify" ? deployed.state.siteName : deployed.state.projectName });
  }

  // Relays this run did not deploy: what the state knows, checked too, since the worker uses them.
  for (const spec of manifest.relays.filter((relay) => !known.has(relay.id))) {
    const recorded = chain.relays[spec.id];
    if (!recorded) continue;
    const health = await checkRelayHealth(recorded.url, { platform: spec.platform, region: spec.region }, Math.min(healthTimeoutMs, 15_000));
    known.set(spec.id, { url: recorded.url, health: `${health.detail} (earlier deploy)`, name: recorded.platform === "netlify" ? recorded.siteName : recorded.projectName });
  }

  const unhealthy = manifest.relays.filter((relay) => known.has(relay.id) && !known.get(relay.id)!.health.startsWith("ok"));
  if (selection.worker && unhealthy.length === 0) {
    // prepareDeploy made sure every relay is either deployed by this run or recorded.
    log(`==> worker ${manifest.worker.name}: Cloudflare Worker${manifest.worker.placement ? `, placement ${manifest.worker.placement.region}` : ""}`);
    const config = await writeWorkerDeployConfig(manifest, path.join(prepared.build.outDir, "worker"), {
      nodeCompat: (prepared.build.worker?.nodeImports.length ?? 0) > 0,
      variables: workerVariables(manifest, {
        relays: manifest.relays.map((relay) => ({ url: chain.relays[relay.id]!.url, weight: relay.weight, maxStreamSeconds: relayStreamLimitSeconds(relay) })),
        upstream: manifest.upstream,
      }),
    });
    const workerSecrets = Object.fromEntries(workerSecretNames.map((name) => [name, secrets[name]!])) as Record<(typeof workerSecretNames)[number], string>;
    const url = await step(prepared, `worker ${manifest.worker.name}`, "wrangler", () =>
      deployWorker({ tool: prepared.tools.wrangler!, config, env: toolEnv, secrets: workerSecrets, run }),
    );
    chain.worker = { name: manifest.worker.name, url, deployedAt: new Date().toISOString() };
    await save();
    const health = await checkWorkerHealth(url, manifest.relays.length, healthTimeoutMs);
    log(`    ${url}: ${health.ok ? "" : "UNHEALTHY, "}${health.detail}`);
    known.set("worker", { url, health: health.detail });
  } else if (chain.worker) {
    const health = await checkWorkerHealth(chain.worker.url, manifest.relays.length, Math.min(healthTimeoutMs, 15_000));
    known.set("worker", { url: chain.worker.url, health: `${health.detail} (earlier deploy)` });
  }

  let check: { model: string; result: ChainCheck } | undefined;
  const workerUrl = known.get("worker")?.url;
  const accessKey = splitList(secrets.AUTH_KEY)[0];
  if (unhealthy.length > 0) {
    log(`==> stopped: relay${unhealthy.length > 1 ? "s" : ""} ${unhealthy.map((relay) => relay.id).join(", ")} unhealthy${selection.worker ? "; the worker was not deployed" : ""}`);
    log("    Open <url>/health of each: it answers {ok, platform, region}. A region other than the manifest's means the platform did not apply the pin;");
    log("    an HTTP error means the deploy is not serving yet or RELAY_TOKEN is unset. Then run the same command again.");
  } else if (workerUrl && accessKey) {
    log(`==> chain check: POST ${workerUrl}/v1beta/models/${options.model}:generateContent`);
    const result = await checkChain(workerUrl, accessKey, options.model, options.checkTimeoutMs ?? 60_000);
    log(`    ${result.ok ? "ok" : "FAILED"}: ${result.status === 0 ? "no answer" : `HTTP ${result.status}`} in ${result.elapsedMs} ms`);
    if (!result.ok) log("    What to do: `npx gemrelay doctor` shows which hop fails (worker, relay, or Gemini with the pool keys).");
    check = { model: options.model, result };
  } else if (workerUrl) {
    log(`==> chain check skipped: ${manifest.secrets.AUTH_KEY} is not set`);
  }

  const rows = summaryRows(manifest, known);
  const summary = formatSummary(rows, check);
  const healthy = [...known.values()].every((entry) => entry.health.startsWith("ok"));
  return { ok: healthy && unhealthy.length === 0 && (check?.result.ok ?? true), summary, ...(check ? { check: check.result } : {}) };
}
