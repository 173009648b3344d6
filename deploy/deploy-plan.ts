/**
 * `gemrelay deploy --dry-run`: everything that can be done without the network. The bundles are
 * built and checked (prepareDeploy), the worker's deploy config is written and handed to
 * `wrangler deploy --dry-run --outdir`, which writes the exact upload offline, and the commands a
 * real deploy would run are printed with the reason for each. Nothing is deployed, the state file
 * is not touched.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { dryRunWorker, planWorker, writeWorkerDeployConfig } from "./cloudflare.ts";
import { CommandFailure, formatCommandLine, runCommand } from "./command.ts";
import { formatSummary, summaryRows } from "./deploy-report.ts";
import type { DeployOutcome } from "./deploy-run.ts";
import { DeployError, missingTokens, type PreparedDeploy, toolsOf } from "./deploy-setup.ts";
import { type RelaySpec, relayDeployName, relayStreamLimitSeconds } from "./manifest.ts";
import { planNetlifyRelay } from "./netlify.ts";
import type { PlannedCommand, RunCommand } from "./relay-deploy.ts";
import { chainOf } from "./state.ts";
import { planVercelRelay } from "./vercel.ts";
import { workerVariables } from "./worker-env.ts";

/** The URL a relay will most likely get on its first deploy (the platforms' default domains). */
function expectedRelayUrl(prepared: PreparedDeploy, spec: RelaySpec): string {
  const recorded = chainOf(prepared.state, prepared.options.manifest.name).relays[spec.id];
  if (recorded) return recorded.url;
  const name = relayDeployName(prepared.options.manifest, spec);
  return spec.platform === "netlify" ? `https://${name}.netlify.app` : `https://${name}.vercel.app`;
}

function printPlanned(prepared: PreparedDeploy, commands: readonly PlannedCommand[]): void {
  const { log } = prepared.options;
  for (const command of commands) {
    log(`    $ ${prepared.redactor.redact(formatCommandLine(command.tool, command.args))}`);
    log(`      # ${command.purpose}${command.secrets ? `; secrets via ${command.secrets}` : ""}`);
  }
}

/** Prints the plan and runs the offline worker dry run. */
export async function executePlan(prepared: PreparedDeploy): Promise<DeployOutcome> {
  const { options, selection, redactor } = prepared;
  const { manifest, log } = options;
  const chain = chainOf(prepared.state, manifest.name);
  const known = new Map<string, { url?: string; health: string; name?: string }>();

  for (const spec of selection.relays) {
    const dir = prepared.relayDirs.get(spec.id)!;
    log(`==> relay ${spec.id} (plan): in ${path.relative(process.cwd(), dir) || dir}`);
    const recorded = chain.relays[spec.id];
    const commands =
      spec.platform === "netlify"
        ? planNetlifyRelay({ manifest, spec, dir, tool: prepared.tools.netlify!, previous: recorded?.platform === "netlify" ? recorded : undefined })
        : planVercelRelay({ manifest, spec, dir, tool: prepared.tools.vercel!, previous: recorded?.platform === "vercel" ? recorded : undefined, env: prepared.toolEnv });
    printPlanned(prepared, commands);
    const url = expectedRelayUrl(prepared, spec);
    log(`    then GET ${url}/health, expecting {ok: true, platform: "${spec.platform}", region: "${spec.region}"}`);
    known.set(spec.id, { url, health: recorded ? "planned (redeploy)" : "planned (first deploy)" });
  }

  if (selection.worker) {
    log(`==> worker ${manifest.worker.name} (plan)`);
    const config = await writeWorkerDeployConfig(manifest, path.join(prepared.build.outDir, "worker"), {
      nodeCompat: (prepared.build.worker?.nodeImports.length ?? 0) > 0,
      variables: workerVariables(manifest, {
        relays: manifest.relays.map((relay) => ({ url: expectedRelayUrl(prepared, relay), weight: relay.weight, maxStreamSeconds: relayStreamLimitSeconds(relay) })),
        upstream: manifest.upstream,
      }),
    });
    const run: RunCommand = (tool, args, runOptions) => {
      log(`    $ ${redactor.redact(formatCommandLine(tool, args))}`);
      return runCommand({ tool, args, ...runOptions }, redactor);
    };
    let dry: { outdir: string; report: string };
    try {
      dry = await dryRunWorker({ tool: prepared.tools.wrangler!, config, env: prepared.toolEnv, run });
    } catch (error) {
      if (!(error instanceof CommandFailure)) throw error;
      throw new DeployError(`worker dry run: \`${error.commandLine}\` failed (${error.outcome})`, "wrangler rejected the generated config; this is likely a gemrelay bug, please report it with the output.", error.output);
    }
    for (const line of dry.report.split("\n")) if (line.trim()) log(`      ${line.trimEnd()}`);
    const uploaded = readFileSync(path.join(dry.outdir, "index.js"));
    const built = readFileSync(prepared.build.worker!.script);
    log(`    upload ${path.relative(process.cwd(), path.join(dry.outdir, "index.js"))}: ${uploaded.length} bytes, ${uploaded.equals(built) ? "identical to the built bundle" : "DIFFERS from the built bundle"}`);
    if (!uploaded.equals(built)) throw new DeployError("wrangler would upload something else than the built worker bundle", "This is a gemrelay bug (no_bundle is not honoured); please report it.");
    log("    a real deploy runs:");
    printPlanned(prepared, planWorker(prepared.tools.wrangler!, config));
    const url = chain.worker?.url ?? `https://${manifest.worker.name}.<your-subdomain>.workers.dev`;
    log(`    then GET ${url}/health and POST ${url}/v1beta/models/${options.model}:generateContent with the first AUTH_KEY`);
    known.set("worker", { url, health: chain.worker ? "planned (redeploy)" : "planned (first deploy)" });
  }

  for (const token of missingTokens(toolsOf(selection), options.env)) log(`note: ${token.variable} is not set; a real deploy needs it (${token.how})`);
  log("==> dry run: nothing was deployed");
  return { ok: true, summary: formatSummary(summaryRows(manifest, known)) };
}
