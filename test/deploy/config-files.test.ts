/**
 * The committed wrangler.toml, netlify.toml and vercel.json stay in step with the default
 * manifest (`gemrelay configs --write` regenerates them), and wrangler accepts both the
 * repository config and the one written next to the built worker.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifest, type Manifest } from "../../deploy/manifest.ts";
import { firstRelay, renderTopLevelConfigs } from "../../deploy/render.ts";
import { durableObject, entries, repositoryRoot, workerCompatibilityDate } from "../../deploy/targets.ts";
import { temporaryFolder } from "./support.ts";

const run = promisify(execFile);
const committed = (name: string) => readFileSync(path.join(repositoryRoot, name), "utf8");

/** Values of `key = "value"` lines inside `[section]` (or before any section when section is ""). */
function tomlValues(text: string, section: string, key: string): string[] {
  const found: string[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const header = /^\[\[?([^\]]+)\]\]?$/.exec(line);
    if (header) current = header[1]!;
    const pair = new RegExp(`^${key}\\s*=\\s*(.+)$`).exec(line);
    if (pair && current === section) found.push(pair[1]!.trim());
  }
  return found;
}

describe("top-level platform configs", () => {
  let manifest: Manifest;
  beforeAll(async () => {
    manifest = await loadManifest(path.join(repositoryRoot, "deploy/manifest.yaml"));
  });

  it("are exactly what the default manifest renders (run `gemrelay configs --write` after changing it)", () => {
    for (const [name, text] of Object.entries(renderTopLevelConfigs(manifest))) {
      expect(committed(name), `${name} drifted from deploy/manifest.yaml`).toBe(text);
    }
  });

  it("wrangler.toml: worker name, entry, Durable Object binding, SQLite migration, placement", () => {
    const toml = committed("wrangler.toml");
    expect(tomlValues(toml, "", "name")).toEqual([JSON.stringify(manifest.worker.name)]);
    expect(tomlValues(toml, "", "main")).toEqual([JSON.stringify(entries.worker)]);
    expect(tomlValues(toml, "", "compatibility_date")).toEqual([JSON.stringify(workerCompatibilityDate)]);
    expect(tomlValues(toml, "durable_objects.bindings", "name")).toEqual(['"POOL"']);
    expect(tomlValues(toml, "durable_objects.bindings", "class_name")).toEqual(['"PoolState"']);
    expect(tomlValues(toml, "migrations", "new_sqlite_classes")).toEqual(['["PoolState"]']);
    expect(tomlValues(toml, "placement", "region")).toEqual([JSON.stringify(manifest.worker.placement!.region)]);
    // The class the binding names is the one the entry exports.
    expect(readFileSync(path.join(repositoryRoot, entries.worker), "utf8")).toMatch(new RegExp(`export class ${durableObject.className}\\b`));
  });

  it("netlify.toml builds the default manifest's Netlify relay into the functions folder it deploys", () => {
    const relay = firstRelay(manifest, "netlify")!;
    const toml = committed("netlify.toml");
    expect(tomlValues(toml, "build", "command")).toEqual([`"node deploy/bin/gemrelay.js build --only ${relay.id}"`]);
    expect(tomlValues(toml, "functions", "directory")).toEqual([`"dist/netlify/${relay.id}/functions"`]);
    expect(tomlValues(toml, "functions", "node_bundler")).toEqual(['"none"']);
    expect(toml).toContain(`region ${relay.region}`);
  });

  it("vercel.json builds the default manifest's Vercel relay into .vercel/output, pinned to its region", () => {
    const relay = firstRelay(manifest, "vercel")!;
    const json = JSON.parse(committed("vercel.json"));
    expect(json.regions).toEqual([relay.region]);
    expect(json.buildCommand).toBe(`node deploy/bin/gemrelay.js build --only ${relay.id} --vercel-output .vercel/output`);
    expect(json.framework).toBeNull();
  });

  describe("wrangler deploy --dry-run (offline)", () => {
    const folder = temporaryFolder();
    afterAll(() => folder.cleanup());

    async function dryRun(args: string[]): Promise<string> {
      const wrangler = path.join(repositoryRoot, "node_modules/.bin/wrangler");
      const { stdout, stderr } = await run(wrangler, ["deploy", "--dry-run", ...args], {
        cwd: repositoryRoot,
        // WRANGLER_HIDE_BANNER also skips the npm update check, so the dry run stays offline.
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", CI: "1", NO_COLOR: "1" },
        timeout: 60_000,
      });
      return stdout + stderr;
    }

    it("accepts wrangler.toml and binds POOL to PoolState", async () => {
      const output = await dryRun(["--outdir", path.join(folder.path, "repo")]);
      expect(output).toMatch(/env\.POOL \(PoolState\)\s+Durable Object/);
    }, 60_000);

    it("accepts dist/worker/wrangler.json and uploads the built bundle unchanged", async () => {
      const outdir = path.join(folder.path, "dist");
      const output = await dryRun(["--config", path.join(repositoryRoot, "dist/worker/wrangler.json"), "--outdir", outdir]);
      expect(output).toMatch(/env\.POOL \(PoolState\)\s+Durable Object/);
      expect(readFileSync(path.join(outdir, "index.js"))).toEqual(readFileSync(path.join(repositoryRoot, "dist/worker/index.js")));
    }, 60_000);
  });
});
