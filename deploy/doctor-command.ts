/**
 * `gemrelay doctor [url]`: the command-line face of doctor.ts. Without a URL it checks the chain
 * the last deploy recorded for the manifest (falling back to a local `gemrelay dev` on port 8787);
 * with one, that worker, and the relays it names when the manifest does not know them.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { defaultCheckModel } from "./chain-check.ts";
import { type Command, manifestHelp, manifestOption, UsageError } from "./cli-command.ts";
import { type DoctorRelay, formatDoctorReport, runDoctor } from "./doctor.ts";
import { checkPlatformSettings, formatPlatformChecks } from "./platform-check.ts";
import { loadManifest, type Manifest, readSecrets, resolveManifestPath, secretNames } from "./manifest.ts";
import { chainOf, defaultStatePath, loadState } from "./state.ts";

/** Where `gemrelay dev` serves the worker by default. */
const localWorker = "http://127.0.0.1:8787";

/** `gemrelay doctor [url]`. */
export const doctorCommand: Command = {
  summary: "check a deployed or local chain hop by hop: health, regions, the worker's view, a timed request",
  usage: [
    "gemrelay doctor [url] [--manifest <file>] [--state <file>] [--model <name>]",
    "",
    "First checks the manifest's platform settings offline: the Vercel and Netlify Node.js runtimes",
    "against the installed platform CLIs' own lists (discontinued runtimes fail), the Durable Object",
    "location hint against the placement region, and each relay's stream limit (Netlify cuts every",
    "stream at 60 s; Vercel at maxDuration), which resume continues past.",
    "Then checks the worker at <url> (default: the one the last `gemrelay deploy` of the manifest recorded,",
    `else a local \`gemrelay dev\` at ${localWorker}): its /health; its view of keys and relays through`,
    "GET /status (needs ADMIN_KEY); each relay's /health, platform and region (against the manifest",
    "when it names the relay) and, with RELAY_TOKEN and GEMINI_API_KEYS set, one direct relay → Gemini",
    "call; finally one generateContent request through the chain with the first AUTH_KEY. Every",
    "check is timed. Secrets come from the variables the manifest names (default names without one).",
    "Exit code 0 when every check passed, 1 otherwise.",
    "",
    manifestHelp,
    `  --state <file>      deploy state (default: ${defaultStatePath})`,
    `  --model <name>      model of the test request (default: ${defaultCheckModel})`,
  ].join("\n"),
  positionals: true,
  options: { ...manifestOption, state: { type: "string" }, model: { type: "string" } },
  async run(values, positionals = []) {
    if (positionals.length > 1) throw new UsageError(`expected at most one URL, got ${positionals.length} arguments`);
    const given = positionals[0];
    if (given !== undefined && !URL.canParse(given)) throw new UsageError(`"${given}" is not a URL (e.g. https://gemrelay.example.workers.dev)`);
    const manifestFile = resolveManifestPath(values.manifest as string | undefined);
    // A remote chain can be checked without a manifest; a named or default one that exists is used.
    const manifest: Manifest | undefined = values.manifest !== undefined || existsSync(manifestFile) ? await loadManifest(manifestFile) : undefined;
    const state = await loadState(path.resolve((values.state as string | undefined) ?? defaultStatePath));
    const chain = manifest ? chainOf(state, manifest.name) : undefined;
    const workerUrl = (given ?? chain?.worker?.url ?? localWorker).replace(/\/+$/, "");
    const fromManifest = manifest && (given === undefined || given.replace(/\/+$/, "") === chain?.worker?.url);
    const relays: DoctorRelay[] = fromManifest
      ? manifest.relays.flatMap((spec) => {
          const url = chain?.relays[spec.id]?.url;
          return url ? [{ url, label: spec.id, expected: { platform: spec.platform, region: spec.region } }] : [];
        })
      : [];
    const secrets = manifest ? readSecrets(manifest, process.env).values : Object.fromEntries(secretNames.map((name) => [name, process.env[name]]));
    const model = (values.model as string | undefined) ?? defaultCheckModel;
    const settings = manifest ? await checkPlatformSettings(manifest) : [];
    if (settings.length > 0) console.log(`platform settings (${path.relative(process.cwd(), manifestFile) || manifestFile}):\n${formatPlatformChecks(settings)}\n`);
    console.log(`gemrelay doctor: ${workerUrl}`);
    const report = await runDoctor({ workerUrl, relays, secrets, model });
    console.log(formatDoctorReport(report.checks));
    return report.ok && settings.every((check) => check.ok !== false) ? 0 : 1;
  },
};
