/** The esbuild builds: output layout, the literal Netlify config, the Vercel Build Output tree, bundle hygiene. */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildError, buildAll, type BuildResult, formatSizeTable } from "../../deploy/build.ts";
import { parseManifest } from "../../deploy/manifest.ts";
import { temporaryFolder } from "./support.ts";

const manifest = parseManifest({
  name: "chain",
  worker: { name: "chain-worker", placement: { region: "aws:us-east-1" }, locationHint: "enam" },
  relays: [
    { id: "nf-ohio", platform: "netlify", region: "cmh" },
    { id: "nf-frankfurt", platform: "netlify", region: "fra" },
    { id: "vc-dc", platform: "vercel", region: "iad1", maxDuration: 120 },
    { id: "vc-paris", platform: "vercel", region: "cdg1" },
  ],
});

/** Imports a built module in a plain Node process and describes its exports as JSON. */
function describeModule(file: string, expression: string): unknown {
  const script = `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(JSON.stringify(${expression}));`;
  return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }));
}

describe("buildAll", () => {
  const folder = temporaryFolder();
  let result: BuildResult;

  beforeAll(async () => {
    result = await buildAll({ manifest, outDir: folder.path });
  }, 60_000);
  afterAll(() => folder.cleanup());

  const read = (...parts: string[]) => readFileSync(path.join(folder.path, ...parts), "utf8");

  it("writes one artifact per deployable, with byte and gzip sizes", () => {
    expect(result.artifacts.map((artifact) => artifact.target)).toEqual(["worker", "node", "nf-frankfurt", "nf-ohio", "vc-dc", "vc-paris"]);
    for (const artifact of result.artifacts) {
      expect(existsSync(artifact.file)).toBe(true);
      expect(artifact.bytes).toBe(readFileSync(artifact.file).length);
      expect(artifact.gzipBytes).toBeGreaterThan(0);
      expect(artifact.gzipBytes).toBeLessThan(artifact.bytes);
    }
    const table = formatSizeTable(result, folder.path);
    expect(table.split("\n")[0]).toMatch(/^target\s+file\s+bytes\s+gzip$/);
    expect(table).toContain("netlify/nf-ohio/functions/gemrelay.mjs");
    expect(result.relays.map((relay) => relay.id)).toEqual(["nf-ohio", "nf-frankfurt", "vc-dc", "vc-paris"]);
  });

  it("gives each Netlify relay a function file with one literal `export const config` carrying paths and region", () => {
    for (const [id, region] of [["nf-ohio", "cmh"], ["nf-frankfurt", "fra"]] as const) {
      const source = read("netlify", id, "functions", "gemrelay.mjs");
      const statements = source.match(/^export const config = \{.*\};$/gm) ?? [];
      expect(statements).toEqual([
        `export const config = { path: ["/v1beta/*", "/v1/*", "/v1alpha/*", "/upload/*", "/health"], region: "${region}" };`,
      ]);
      // The only other export is the default handler.
      expect(source.match(/^export /gm)).toHaveLength(2);
      expect(existsSync(path.join(folder.path, "netlify", id, "publish"))).toBe(true);
    }
  });

  it("Netlify function files load under Node: a default handler function and the config object", () => {
    const file = path.join(folder.path, "netlify", "nf-frankfurt", "functions", "gemrelay.mjs");
    expect(describeModule(file, "{ handler: typeof m.default, config: m.config }")).toEqual({
      handler: "function",
      config: { path: ["/v1beta/*", "/v1/*", "/v1alpha/*", "/upload/*", "/health"], region: "fra" },
    });
  });

  it("writes a Vercel Build Output API v3 tree per relay", () => {
    for (const [id, region, maxDuration] of [["vc-dc", "iad1", 120], ["vc-paris", "cdg1", 300]] as const) {
      const output = path.join(folder.path, "vercel", id, ".vercel", "output");
      expect(JSON.parse(read("vercel", id, ".vercel", "output", "config.json"))).toEqual({
        version: 3,
        routes: [{ src: "/(.*)", dest: "/relay" }],
      });
      expect(JSON.parse(read("vercel", id, ".vercel", "output", "functions", "relay.func", ".vc-config.json"))).toEqual({
        runtime: "nodejs24.x",
        handler: "index.mjs",
        launcherType: "Nodejs",
        shouldAddHelpers: false,
        supportsResponseStreaming: true,
        maxDuration,
        regions: [region],
      });
      const handler = path.join(output, "functions", "relay.func", "index.mjs");
      expect(describeModule(handler, "typeof m.default.fetch")).toBe("function");
    }
  });

  it("bundles the worker for workerd: ESM, PoolState and default exported, no node: imports, cloudflare:* external", () => {
    const source = read("worker", "index.js");
    expect(result.worker?.nodeImports).toEqual([]);
    expect(source).not.toMatch(/from\s*["']node:/);
    expect(source).not.toMatch(/\brequire\(\s*["']/);
    expect(source).toMatch(/from "cloudflare:workers"/);
    expect(source).toMatch(/^export \{[^}]*\bPoolState\b[^}]*\};?$/m);
    expect(source).toMatch(/^export \{[^}]*\bas default\b[^}]*\};?$/m);
  });

  it("writes dist/worker/wrangler.json for deploying the bundle as is", () => {
    expect(JSON.parse(read("worker", "wrangler.json"))).toEqual({
      name: "chain-worker",
      main: "index.js",
      no_bundle: true,
      compatibility_date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      placement: { region: "aws:us-east-1" },
      durable_objects: { bindings: [{ name: "POOL", class_name: "PoolState" }] },
      migrations: [{ tag: "v1", new_sqlite_classes: ["PoolState"] }],
      vars: { POOL_LOCATION_HINT: "enam" },
    });
  });

  it("bundles the node server with better-sqlite3 external and a require shim for CommonJS dependencies", () => {
    const source = read("node", "server.mjs");
    expect(source.startsWith('import { createRequire as __gemrelayCreateRequire } from "node:module";')).toBe(true);
    expect(source).toMatch(/["']better-sqlite3["']/);
    expect(source).not.toMatch(/better_sqlite3\.node/);
  });

  it("builds only the selected targets, and refuses unknown ones", async () => {
    const only = temporaryFolder();
    try {
      const partial = await buildAll({ manifest, outDir: only.path, only: ["vc-paris"], vercelOutputDir: path.join(only.path, "root/.vercel/output") });
      expect(partial.artifacts.map((artifact) => artifact.target)).toEqual(["vc-paris"]);
      expect(existsSync(path.join(only.path, "worker"))).toBe(false);
      const copied = JSON.parse(readFileSync(path.join(only.path, "root/.vercel/output/functions/relay.func/.vc-config.json"), "utf8"));
      expect(copied.regions).toEqual(["cdg1"]);
      await expect(buildAll({ manifest, outDir: only.path, only: ["nope"] })).rejects.toThrow(BuildError);
      await expect(buildAll({ manifest, outDir: only.path, vercelOutputDir: "x" })).rejects.toThrow(/exactly one Vercel relay/);
    } finally {
      only.cleanup();
    }
  }, 60_000);

  it("names a missing entry", async () => {
    const empty = temporaryFolder();
    try {
      await expect(buildAll({ manifest, root: empty.path, outDir: empty.path, only: ["worker"] })).rejects.toThrow(/missing entry relays\/cloudflare\/index\.ts/);
    } finally {
      empty.cleanup();
    }
  });
});
