/**
 * vitest globalSetup: builds every deployable of the default manifest into `dist/` once, before
 * any suite, so end-to-end tests run the real bundles (the ones `gemrelay deploy` ships), plus
 * the dev host scripts (`dist/dev/relay-host.mjs`, `dist/dev/worker-host.mjs`) that serve them.
 */
import path from "node:path";
import { buildAll, formatSizeTable } from "../deploy/build.ts";
import { buildDevHosts } from "../deploy/dev.ts";
import { loadManifest } from "../deploy/manifest.ts";
import { repositoryRoot } from "../deploy/targets.ts";
import { provisionRedis } from "./provision.ts";

export default async function setup(): Promise<void> {
  const manifest = await loadManifest(path.join(repositoryRoot, "deploy/manifest.yaml"));
  const outDir = path.join(repositoryRoot, "dist");
  const [result] = await Promise.all([buildAll({ manifest, outDir }), buildDevHosts(outDir)]);
  const note = provisionRedis();
  if (note) console.log(`gemrelay tests: ${note}`);
  if (process.env.GEMRELAY_BUILD_REPORT) console.log(formatSizeTable(result));
}
