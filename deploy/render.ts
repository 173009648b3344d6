/**
 * Platform configuration rendered from the manifest:
 * - the committed top-level `wrangler.toml`, `netlify.toml` and `vercel.json`, valid for
 *   "connect the repository" deploys from each dashboard (a test fails when they drift from the
 *   default manifest; `gemrelay configs --write` rewrites them);
 * - `dist/worker/wrangler.json`, the config `wrangler deploy` uses for the built worker bundle.
 */
import type { Manifest, NetlifyRelaySpec, VercelRelaySpec } from "./manifest.ts";
import { relayDeployName, workerLocationHint } from "./manifest.ts";
import { relayPlatformFacts } from "./platforms.ts";
import { durableObject, locationHintVariable, netlifyFunctionFile, workerCompatibilityDate } from "./targets.ts";

const generatedNote = "Generated from deploy/manifest.yaml by `gemrelay configs --write`; test/deploy/config-files.test.ts keeps it in step.";

/** Worker settings shared by wrangler.toml and dist/worker/wrangler.json. */
function workerSettings(manifest: Manifest, nodeCompat: boolean) {
  const vars: Record<string, string> = {};
  const hint = workerLocationHint(manifest);
  if (hint) vars[locationHintVariable] = hint;
  return {
    name: manifest.worker.name,
    compatibility_date: workerCompatibilityDate,
    ...(nodeCompat ? { compatibility_flags: ["nodejs_compat"] } : {}),
    ...(manifest.worker.placement ? { placement: { region: manifest.worker.placement.region } } : {}),
    durable_objects: { bindings: [{ name: durableObject.binding, class_name: durableObject.className }] },
    migrations: [{ tag: durableObject.migrationTag, new_sqlite_classes: [durableObject.className] }],
    ...(Object.keys(vars).length > 0 ? { vars } : {}),
  };
}

/**
 * `dist/worker/wrangler.json`: deploys the already-built bundle as is (`no_bundle`), so what
 * `gemrelay dev` ran under workerd is byte for byte what Cloudflare receives.
 */
export function renderWorkerDeployConfig(manifest: Manifest, options: { nodeCompat: boolean }): Record<string, unknown> {
  return {
    ...workerSettings(manifest, options.nodeCompat),
    main: "index.js",
    no_bundle: true,
  };
}

const toml = (value: string) => JSON.stringify(value);

/** The top-level `wrangler.toml` (wrangler bundles `relays/cloudflare/index.ts` itself). */
export function renderWranglerToml(manifest: Manifest): string {
  const settings = workerSettings(manifest, false);
  const lines = [
    `# ${generatedNote}`,
    "# Used by `wrangler deploy` and Cloudflare's \"connect the repository\" builds. Secrets",
    "# (GEMINI_API_KEYS, AUTH_KEY, ADMIN_KEY, RELAY_TOKEN, RELAY_URLS) are set with `wrangler secret`, never here.",
    `name = ${toml(settings.name)}`,
    'main = "relays/cloudflare/index.ts"',
    `compatibility_date = ${toml(settings.compatibility_date)}`,
  ];
  if (settings.placement) {
    lines.push("", "# Run next to a cloud region Gemini serves (https://developers.cloudflare.com/workers/configuration/placement/).", "[placement]", `region = ${toml(settings.placement.region)}`);
  }
  lines.push(
    "",
    "# Pool state: a SQLite-backed Durable Object.",
    "[[durable_objects.bindings]]",
    `name = ${toml(durableObject.binding)}`,
    `class_name = ${toml(durableObject.className)}`,
    "",
    "[[migrations]]",
    `tag = ${toml(durableObject.migrationTag)}`,
    `new_sqlite_classes = [${toml(durableObject.className)}]`,
  );
  if (settings.vars) {
    lines.push("", "[vars]", ...Object.entries(settings.vars).map(([key, value]) => `${key} = ${toml(value)}`));
  }
  return lines.join("\n") + "\n";
}

/** The relay a committed top-level config describes: the default manifest's first of that platform. */
export function firstRelay<P extends "netlify" | "vercel">(
  manifest: Manifest,
  platform: P,
): (P extends "netlify" ? NetlifyRelaySpec : VercelRelaySpec) | undefined {
  return manifest.relays.find((relay) => relay.platform === platform) as never;
}

/** The top-level `netlify.toml`: builds one Netlify relay of the manifest from the repository. */
export function renderNetlifyToml(manifest: Manifest): string {
  const relay = firstRelay(manifest, "netlify");
  if (!relay) return `# ${generatedNote}\n# The manifest has no Netlify relay.\n`;
  const dir = `dist/netlify/${relay.id}`;
  return [
    `# ${generatedNote}`,
    `# Netlify "connect the repository" build of relay "${relay.id}" (site ${relayDeployName(manifest, relay)}, region ${relay.region}).`,
    "# Set RELAY_TOKEN (and GEMINI_UPSTREAM if not Google) as environment variables of the site.",
    "[build]",
    `  command = ${toml(`node deploy/bin/gemrelay.js build --only ${relay.id}`)}`,
    `  publish = ${toml(`${dir}/publish`)}`,
    "",
    "[build.environment]",
    "  # The function's Lambda runtime follows the build's Node version; both set, so that an",
    "  # account-wide AWS_LAMBDA_JS_RUNTIME cannot pull it back to an end-of-life Node (deploy/platforms.ts).",
    `  NODE_VERSION = ${toml(relayPlatformFacts.netlify.nodeVersion)}`,
    `  AWS_LAMBDA_JS_RUNTIME = ${toml(relayPlatformFacts.netlify.lambdaRuntime)}`,
    "",
    "[functions]",
    `  # ${netlifyFunctionFile} is already bundled by gemrelay; its literal \`export const config\``,
    `  # carries the paths and the region (${relay.region}). "none" ships the file unchanged.`,
    `  directory = ${toml(`${dir}/functions`)}`,
    '  node_bundler = "none"',
  ].join("\n") + "\n";
}

/**
 * `<out>/netlify/<id>/netlify.toml`: makes the relay's build folder a self-contained Netlify
 * project for `netlify deploy --no-build` run inside it (the CLI reads the nearest netlify.toml,
 * so without this one it would pick up the repository's top-level file).
 */
export function renderRelayNetlifyToml(spec: NetlifyRelaySpec): string {
  return [
    `# Written by \`gemrelay build\` for relay "${spec.id}" (region ${spec.region}); \`gemrelay deploy\` runs netlify-cli in this folder.`,
    "[build]",
    '  publish = "publish"',
    "",
    "[functions]",
    '  directory = "functions"',
    `  # ${netlifyFunctionFile} is bundled already and carries its config (paths, region) as a literal.`,
    '  node_bundler = "none"',
  ].join("\n") + "\n";
}

/** The top-level `vercel.json`: builds one Vercel relay into `.vercel/output` (Build Output API). */
export function renderVercelJson(manifest: Manifest): Record<string, unknown> {
  const relay = firstRelay(manifest, "vercel");
  if (!relay) return { $schema: "https://openapi.vercel.sh/vercel.json" };
  return {
    $schema: "https://openapi.vercel.sh/vercel.json",
    framework: null,
    buildCommand: `node deploy/bin/gemrelay.js build --only ${relay.id} --vercel-output .vercel/output`,
    regions: [relay.region],
  };
}

/** Text of `vercel.json` (JSON has no comments; the provenance is in the README and this module). */
export function renderVercelJsonText(manifest: Manifest): string {
  return JSON.stringify(renderVercelJson(manifest), null, 2) + "\n";
}

/** The three committed files by name, as the default manifest renders them. */
export function renderTopLevelConfigs(manifest: Manifest): Record<"wrangler.toml" | "netlify.toml" | "vercel.json", string> {
  return {
    "wrangler.toml": renderWranglerToml(manifest),
    "netlify.toml": renderNetlifyToml(manifest),
    "vercel.json": renderVercelJsonText(manifest),
  };
}
