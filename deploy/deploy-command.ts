/**
 * `gemrelay deploy`: the command-line face of deploy-setup / deploy-run / deploy-plan. Its usage
 * text is quoted in README.md ("Deploy"); test/deploy/deploy-help.test.ts keeps the two equal.
 */
import path from "node:path";
import { defaultCheckModel } from "./chain-check.ts";
import { type Command, manifestHelp, manifestOption, optionList } from "./cli-command.ts";
import { formatDeployError } from "./deploy-report.ts";
import { executePlan } from "./deploy-plan.ts";
import { executeDeploy } from "./deploy-run.ts";
import { DeployError, prepareDeploy } from "./deploy-setup.ts";
import { loadManifest, resolveManifestPath } from "./manifest.ts";
import { defaultStatePath } from "./state.ts";

/** Default folder of the deploy's bundles and generated configs. */
export const defaultDeployOutDir = ".gemrelay/out";

/** `gemrelay deploy [--dry-run] [--only …]`. */
export const deployCommand: Command = {
  summary: "build and deploy the chain: relays to Netlify/Vercel, the worker to Cloudflare, then test it",
  usage: [
    "gemrelay deploy [--dry-run] [--only <relay-id>|worker] [--manifest <file>] [--model <name>]",
    "                       [--out-dir <dir>] [--state <file>]",
    "",
    "Builds every bundle once, then deploys the chain the manifest describes:",
    "  1. each relay with its platform's CLI (netlify or vercel from PATH or node_modules, else",
    "     through npx at a pinned version): creates the site or project on the first deploy, sets",
    "     RELAY_TOKEN and GEMINI_UPSTREAM (from a 0600 file or stdin, never the command line),",
    "     deploys to production in the manifest's region (Netlify sites also get",
    "     AWS_LAMBDA_JS_RUNTIME=nodejs24.x, the runtime the deploy zips for), and checks GET /health",
    "     (platform and region);",
    "  2. the worker with wrangler: vars RELAY_URLS (with weights and stream limits), routing policy,",
    "     GEMINI_UPSTREAM, POOL_LOCATION_HINT (derived from the placement); secrets GEMINI_API_KEYS,",
    "     AUTH_KEY, ADMIN_KEY and RELAY_TOKEN through `wrangler secret bulk` from a 0600 file;",
    "     then GET /health;",
    "  3. one generateContent request through the chain with the first AUTH_KEY, and a summary",
    "     table of every deployable, URL, region and health.",
    "Site and project ids and URLs are kept in the state file: running again updates in place and",
    "never creates a site twice. A failing command stops the deploy and is shown with its output",
    "(secrets redacted) and what to do.",
    "",
    "Tokens, from the environment: NETLIFY_AUTH_TOKEN; VERCEL_TOKEN (VERCEL_ORG_ID for a team);",
    "CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID. Secrets come from the variables the manifest's",
    "`secrets` block names (by default RELAY_TOKEN, AUTH_KEY, ADMIN_KEY, GEMINI_API_KEYS).",
    "",
    "  --dry-run           build, check the bundles, run `wrangler deploy --dry-run --outdir`",
    "                      (offline) and print every command a deploy would run; deploys nothing",
    "  --only <target>     deploy only these: worker and/or relay ids (repeatable, comma-separated);",
    "                      the worker then uses the relay URLs recorded by earlier deploys",
    manifestHelp,
    `  --model <name>      model of the final request (default: ${defaultCheckModel})`,
    `  --out-dir <dir>     bundles and generated configs (default: ${defaultDeployOutDir})`,
    `  --state <file>      deploy state (default: ${defaultStatePath})`,
    "",
    "Exit code 0 when everything deployed is healthy and the request succeeded; 1 when a command,",
    "a health check or the request failed; 2 for an invalid manifest or missing secret.",
  ].join("\n"),
  options: {
    ...manifestOption,
    "dry-run": { type: "boolean" },
    only: { type: "string", multiple: true },
    model: { type: "string" },
    "out-dir": { type: "string" },
    state: { type: "string" },
  },
  async run(values) {
    const manifestFile = resolveManifestPath(values.manifest as string | undefined);
    const manifest = await loadManifest(manifestFile);
    const dryRun = values["dry-run"] === true;
    const stateFile = path.resolve((values.state as string | undefined) ?? defaultStatePath);
    const log = (line: string) => console.log(line);
    log(
      `gemrelay deploy${dryRun ? " --dry-run" : ""}: chain "${manifest.name}" from ${path.relative(process.cwd(), manifestFile) || manifestFile}` +
        ` (state ${path.relative(process.cwd(), stateFile) || stateFile})`,
    );
    try {
      const prepared = await prepareDeploy({
        manifest,
        manifestFile,
        env: process.env,
        only: optionList(values.only),
        dryRun,
        outDir: path.resolve((values["out-dir"] as string | undefined) ?? defaultDeployOutDir),
        stateFile,
        model: (values.model as string | undefined) ?? defaultCheckModel,
        log,
      });
      const outcome = dryRun ? await executePlan(prepared) : await executeDeploy(prepared);
      log("");
      log(outcome.summary);
      return outcome.ok ? 0 : 1;
    } catch (error) {
      if (!(error instanceof DeployError)) throw error;
      console.error(formatDeployError(error));
      return error.exitCode;
    }
  },
};
