/**
 * Deploying the resume worker with wrangler from the built bundle (`<out>/worker/index.js`):
 *
 * - `<out>/worker/wrangler.deploy.json`: the build's wrangler.json (no_bundle, Durable Object,
 *   migration, placement) plus the non-secret `vars` (routing policy, RELAY_URLS with weights,
 *   GEMINI_UPSTREAM, POOL_LOCATION_HINT), so Cloudflare receives byte for byte the bundle the
 *   tests run under workerd;
 * - `wrangler deploy --config <that file>`, then `wrangler secret bulk <file>` with
 *   GEMINI_API_KEYS, AUTH_KEY, ADMIN_KEY and RELAY_TOKEN from a 0600 JSON file (a deploy never
 *   deletes secrets, so the order leaves the worker with its keys at every moment after the first
 *   deploy);
 * - `--dry-run`: `wrangler deploy --dry-run --outdir <out>/worker/upload`, offline, which writes the
 *   exact upload and lists the bindings.
 *
 * Output checked against wrangler 4.86 (`Deployed <name> triggers` followed by the workers.dev
 * URL; `secret bulk` ends with `✨ N secrets successfully uploaded`).
 */
import path from "node:path";
import { findUrls, OutputError } from "./cli-output.ts";
import type { Executable } from "./command.ts";
import type { Manifest, SecretName } from "./manifest.ts";
import type { PlannedCommand, RunCommand } from "./relay-deploy.ts";
import { renderWorkerDeployConfig } from "./render.ts";
import { withSecretFile } from "./secrets.ts";
import { writeAtomically } from "./build.ts";

/** The secrets the worker reads, pushed with `wrangler secret bulk`. */
export const workerSecretNames = ["GEMINI_API_KEYS", "AUTH_KEY", "ADMIN_KEY", "RELAY_TOKEN"] as const satisfies readonly SecretName[];

/** File names inside `<out>/worker/`. */
export const workerFiles = { config: "wrangler.deploy.json", upload: "upload" } as const;

/** The argument lists, shared by the deploy and the dry-run plan. */
export const wranglerArgs = {
  deploy: (config: string) => ["deploy", "--config", config],
  dryRun: (config: string, outdir: string) => ["deploy", "--config", config, "--dry-run", "--outdir", outdir],
  putSecrets: (file: string, config: string) => ["secret", "bulk", file, "--config", config],
};

/** Environment that keeps wrangler quiet and offline where it can be (no metrics, no update check). */
export const quietWranglerEnvironment = { WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", NO_COLOR: "1" } as const;

/**
 * Writes `<workerDir>/wrangler.deploy.json` with the worker's variables and returns its path.
 * `main` stays `index.js` next to it, the bundle the build wrote.
 */
export async function writeWorkerDeployConfig(
  manifest: Manifest,
  workerDir: string,
  options: { nodeCompat: boolean; variables: Record<string, string> },
): Promise<string> {
  const base = renderWorkerDeployConfig(manifest, { nodeCompat: options.nodeCompat }) as { vars?: Record<string, string> };
  const config = { ...base, vars: { ...base.vars, ...options.variables } };
  const file = path.join(workerDir, workerFiles.config);
  await writeAtomically(file, JSON.stringify(config, null, 2) + "\n");
  return file;
}

/** The workers.dev (or route) URL `wrangler deploy` reports after "Deployed … triggers". */
export function workerUrlFromOutput(output: string): string {
  const lines = output.split(/\r?\n/);
  const deployed = lines.findIndex((line) => /^Deployed .* triggers/.test(line.trim()));
  const after = deployed >= 0 ? findUrls(lines.slice(deployed + 1).join("\n")) : [];
  const url = after[0] ?? findUrls(output).find((candidate) => /\.workers\.dev\b/.test(candidate));
  if (!url) {
    throw new OutputError(
      "wrangler deploy: no URL in its output; the account may have no workers.dev subdomain yet " +
        "(create one under Workers & Pages in the Cloudflare dashboard) or workers_dev is off",
    );
  }
  return url.replace(/\/+$/, "");
}

/** Deploys the worker and its secrets; resolves with the worker's URL. */
export async function deployWorker(options: {
  tool: Executable;
  config: string;
  env: Record<string, string>;
  secrets: Record<(typeof workerSecretNames)[number], string>;
  run: RunCommand;
}): Promise<string> {
  const cwd = path.dirname(options.config);
  const deployed = await options.run(options.tool, wranglerArgs.deploy(options.config), { cwd, env: options.env });
  const url = workerUrlFromOutput(`${deployed.stdout}\n${deployed.stderr}`);
  await withSecretFile("secrets.json", JSON.stringify(options.secrets), (file) =>
    options.run(options.tool, wranglerArgs.putSecrets(file, options.config), { cwd, env: options.env }),
  );
  return url;
}

/** Runs `wrangler deploy --dry-run --outdir`; resolves with the folder holding the would-be upload and wrangler's report. */
export async function dryRunWorker(options: {
  tool: Executable;
  config: string;
  env: Record<string, string>;
  run: RunCommand;
}): Promise<{ outdir: string; report: string }> {
  const cwd = path.dirname(options.config);
  const outdir = path.join(cwd, workerFiles.upload);
  const result = await options.run(options.tool, wranglerArgs.dryRun(options.config, outdir), {
    cwd,
    env: { ...options.env, ...quietWranglerEnvironment },
  });
  return { outdir, report: `${result.stdout}\n${result.stderr}`.trim() };
}

/** The commands a worker deploy runs. */
export function planWorker(tool: Executable, config: string): PlannedCommand[] {
  const cwd = path.dirname(config);
  return [
    { tool, args: wranglerArgs.deploy(config), cwd, purpose: "upload the bundle with its vars, Durable Object and placement" },
    {
      tool,
      args: wranglerArgs.putSecrets("<temporary file>", config),
      cwd,
      purpose: `set ${workerSecretNames.join(", ")}`,
      secrets: "JSON file, mode 0600, deleted afterwards",
    },
  ];
}
