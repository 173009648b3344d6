/** Builds every deployable once before the suites, so end-to-end tests run the real bundles. */
import { buildAll } from "../deploy/build.ts";
import { loadManifest } from "../deploy/manifest.ts";
import { repositoryRoot } from "../deploy/targets.ts";
import path from "node:path";

export default async function setup(): Promise<void> {
  const manifest = await loadManifest(path.join(repositoryRoot, "deploy/manifest.yaml"));
  await buildAll({ manifest });
}
