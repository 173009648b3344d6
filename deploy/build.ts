/**
 * esbuild builds of every deployable, into a git-ignored folder (default `dist/`):
 *
 * ```
 * dist/worker/index.js                 Cloudflare Worker (+ PoolState Durable Object), ESM for workerd
 * dist/worker/wrangler.json            config for `wrangler deploy` of that bundle (no_bundle)
 * dist/node/server.mjs                 self-host server (better-sqlite3 stays external)
 * dist/netlify/<id>/functions/gemrelay.mjs   Netlify Functions v2 file with a literal `export const config`
 * dist/netlify/<id>/publish/           the (nearly empty) static folder a Netlify deploy needs
 * dist/netlify/<id>/netlify.toml       makes that folder a self-contained Netlify project
 * dist/vercel/<id>/.vercel/output/     Vercel Build Output API v3 tree (config.json + relay.func)
 * ```
 *
 * Each deployable is bundled once, all in parallel. Vercel relays share one bundle (their region
 * lives in `.vc-config.json`); each Netlify relay gets its own, because its region is baked into
 * the generated entry and the literal config.
 */
import { existsSync } from "node:fs";
import { cp, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import type { Manifest, NetlifyRelaySpec, RelaySpec, VercelRelaySpec } from "./manifest.ts";
import { renderRelayNetlifyToml, renderWorkerDeployConfig } from "./render.ts";
import { formatTable } from "./table.ts";
import {
  entries,
  netlifyFunctionFile,
  netlifyFunctionPaths,
  repositoryRoot,
  vercelFunctionName,
  vercelRuntime,
} from "./targets.ts";

/** What `buildAll` can build: the worker, the node server, or one relay by id. */
export type BuildTarget = "worker" | "node" | (string & {});

/** Options of `buildAll`. */
export interface BuildOptions {
  manifest: Manifest;
  /** Output folder, relative to `root` unless absolute. Default `dist`. */
  outDir?: string;
  /** Repository root holding `relays/`; default the root this file belongs to. */
  root?: string;
  /** Build only these targets (`worker`, `node`, relay ids); default everything. */
  only?: readonly BuildTarget[];
  /** Also copy this Vercel relay's Build Output tree here (for `vercel.json` repository builds). */
  vercelOutputDir?: string;
}

/** One file the build wrote, with its size. */
export interface BuildArtifact {
  /** `worker`, `node`, or a relay id. */
  target: string;
  kind: "worker" | "node" | "netlify" | "vercel";
  /** Absolute path. */
  file: string;
  bytes: number;
  gzipBytes: number;
}

/** A relay's build output. */
export interface BuiltRelay {
  id: string;
  platform: RelaySpec["platform"];
  region: string;
  /** The folder to deploy (Netlify: holds `functions/` and `publish/`; Vercel: holds `.vercel/output/`). */
  dir: string;
  /** The bundle a local host imports: its default export is the platform handler. */
  module: string;
}

/** What `buildAll` produced. */
export interface BuildResult {
  outDir: string;
  artifacts: BuildArtifact[];
  worker?: {
    script: string;
    /** `node:*` modules the worker bundle imports (needs `nodejs_compat` when non-empty). */
    nodeImports: string[];
  };
  node?: { script: string };
  relays: BuiltRelay[];
  durationMs: number;
}

/** A build that cannot proceed (missing entry, esbuild error, broken invariant). */
export class BuildError extends Error {
  override name = "BuildError";
}

/**
 * Lets bundled CommonJS dependencies call `require` inside an ESM bundle on Node (esbuild's
 * `__require` shim uses a global `require` when there is one).
 */
const nodeRequireBanner =
  'import { createRequire as __gemrelayCreateRequire } from "node:module";\n' +
  "const require = __gemrelayCreateRequire(import.meta.url);";

const common = {
  bundle: true,
  format: "esm",
  write: false,
  metafile: true,
  minify: false,
  treeShaking: true,
  sourcemap: false,
  legalComments: "none",
  charset: "utf8",
  logLevel: "silent",
} satisfies esbuild.BuildOptions;

/** Entry that keeps only the default export, so the bundle exports exactly what the platform calls. */
function defaultOnlyEntry(root: string, entry: string): esbuild.StdinOptions {
  const specifier = "./" + entry.split(path.sep).join("/");
  return {
    contents: `export { default } from ${JSON.stringify(specifier)};\n`,
    resolveDir: root,
    sourcefile: `${path.basename(entry)}.entry.ts`,
    loader: "ts",
  };
}

async function bundle(options: esbuild.BuildOptions, label: string): Promise<esbuild.BuildResult & { outputFiles: esbuild.OutputFile[]; metafile: esbuild.Metafile }> {
  try {
    const result = await esbuild.build({ ...common, ...options });
    return result as esbuild.BuildResult & { outputFiles: esbuild.OutputFile[]; metafile: esbuild.Metafile };
  } catch (error) {
    const failure = error as esbuild.BuildFailure;
    const messages = failure.errors
      ? (await esbuild.formatMessages(failure.errors, { kind: "error", color: false })).join("")
      : String(error);
    throw new BuildError(`esbuild failed for ${label}:\n${messages}`);
  }
}

function singleOutput(output: { outputFiles: esbuild.OutputFile[] }, label: string): string {
  const file = output.outputFiles[0];
  if (!file || output.outputFiles.length !== 1) throw new BuildError(`${label}: expected exactly one output file`);
  return file.text;
}

/**
 * The Netlify function must be one valid ES module holding the literal config statement, and
 * no other top-level `config` (esbuild reports a duplicate declaration).
 */
async function checkNetlifyFunction(id: string, contents: string): Promise<void> {
  if ((contents.match(/^export const config = \{/gm) ?? []).length !== 1) {
    throw new BuildError(`netlify relay ${id}: the literal \`export const config = {\` statement is missing`);
  }
  try {
    await esbuild.transform(contents, { format: "esm", loader: "js", logLevel: "silent" });
  } catch (error) {
    const failure = error as esbuild.TransformFailure;
    throw new BuildError(`netlify relay ${id}: the function is not a valid module: ${failure.errors?.[0]?.text ?? String(error)}`);
  }
}

/** Name of the handler factory `relays/netlify/handler.ts` exports, when it exports one. */
async function netlifyFactoryExport(root: string): Promise<string | null> {
  const source = await readFile(path.join(root, entries.netlify), "utf8");
  return /export\s+(?:async\s+)?function\s+createNetlifyHandler\b/.test(source) ? "createNetlifyHandler" : null;
}

/**
 * Entry of one Netlify relay: the handler factory called with the relay's region (reported on
 * /health when the runtime does not say where it runs), or the module's default export.
 */
function netlifyEntry(root: string, spec: NetlifyRelaySpec, factory: string | null): esbuild.StdinOptions {
  const specifier = JSON.stringify("./" + entries.netlify);
  const body = factory
    ? `import { ${factory} } from ${specifier};\nexport default ${factory}({ region: ${JSON.stringify(spec.region)} });\n`
    : `export { default } from ${specifier};\n`;
  return {
    // The unused function refers to a global `config`, which makes esbuild rename any top-level
    // `config` of the bundled modules (zod has one) so the appended literal cannot collide.
    contents: `${body}function reserveConfigName(): unknown {\n  return config;\n}\n`,
    resolveDir: root,
    sourcefile: `netlify-${spec.id}.entry.ts`,
    loader: "ts",
  };
}

/** External `node:*` imports of a bundle, from esbuild's metafile. */
function nodeImportsOf(metafile: esbuild.Metafile): string[] {
  const found = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const item of output.imports) if (item.external && item.path.startsWith("node:")) found.add(item.path);
  }
  return [...found].sort();
}

/** The literal Netlify reads from source (it parses, never runs, this statement). */
export function netlifyConfigStatement(spec: NetlifyRelaySpec): string {
  const paths = netlifyFunctionPaths.map((item) => JSON.stringify(item)).join(", ");
  return `export const config = { path: [${paths}], region: ${JSON.stringify(spec.region)} };`;
}

/** `.vc-config.json` of a Vercel relay (https://vercel.com/docs/build-output-api/v3/primitives#node.js-config). */
export function vercelFunctionConfig(spec: VercelRelaySpec): Record<string, unknown> {
  return {
    runtime: vercelRuntime,
    handler: "index.mjs",
    launcherType: "Nodejs",
    shouldAddHelpers: false,
    supportsResponseStreaming: true,
    maxDuration: spec.maxDuration,
    regions: [spec.region],
  };
}

/** `.vercel/output/config.json`: every path goes to the one function (https://vercel.com/docs/build-output-api/v3/configuration). */
export function vercelOutputConfig(): Record<string, unknown> {
  return { version: 3, routes: [{ src: "/(.*)", dest: `/${vercelFunctionName}` }] };
}

async function writeArtifact(
  artifacts: BuildArtifact[],
  target: string,
  kind: BuildArtifact["kind"],
  file: string,
  contents: string,
): Promise<void> {
  await writeAtomically(file, contents);
  const bytes = Buffer.byteLength(contents);
  artifacts.push({ target, kind, file, bytes, gzipBytes: gzipSync(contents).length });
}

/**
 * Writes through a temporary file and a rename, so a process importing the file while a build
 * runs (a test, a dev chain) sees the old or the new bundle, never half of one.
 */
export async function writeAtomically(file: string, contents: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, file);
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeAtomically(file, JSON.stringify(value, null, 2) + "\n");
}

function requireEntry(root: string, entry: string): void {
  if (!existsSync(path.join(root, entry))) throw new BuildError(`missing entry ${entry} (in ${root})`);
}

/**
 * Builds only the self-host server (`<outDir>/node/server.mjs`). Needs no manifest, so
 * `gemrelay start` works without one.
 */
export async function buildNodeServer(options: { root?: string; outDir?: string } = {}): Promise<BuildArtifact> {
  const root = options.root ?? repositoryRoot;
  const outDir = path.resolve(root, options.outDir ?? "dist");
  requireEntry(root, entries.node);
  const script = path.join(outDir, "node/server.mjs");
  const output = await bundle(
    {
      entryPoints: [path.join(root, entries.node)],
      outfile: script,
      platform: "node",
      target: "node20",
      // Native addon: loaded from node_modules at run time, never bundled.
      external: ["better-sqlite3"],
      banner: { js: nodeRequireBanner },
    },
    "the node server",
  );
  const artifacts: BuildArtifact[] = [];
  await writeArtifact(artifacts, "node", "node", script, singleOutput(output, "node"));
  return artifacts[0]!;
}

/** Which of the manifest's targets `only` selects; throws on a name that is neither. */
export function selectTargets(manifest: Manifest, only: readonly BuildTarget[] | undefined) {
  const known = new Set(["worker", "node", ...manifest.relays.map((relay) => relay.id)]);
  for (const name of only ?? []) {
    if (!known.has(name)) throw new BuildError(`unknown build target "${name}"; known: ${[...known].join(", ")}`);
  }
  const wants = (name: string) => !only || only.length === 0 || only.includes(name);
  return {
    worker: wants("worker"),
    node: wants("node"),
    netlify: manifest.relays.filter((relay): relay is NetlifyRelaySpec => relay.platform === "netlify" && wants(relay.id)),
    vercel: manifest.relays.filter((relay): relay is VercelRelaySpec => relay.platform === "vercel" && wants(relay.id)),
  };
}

/**
 * Builds the manifest's deployables with esbuild. Kinds build in parallel; each kind once.
 * Throws BuildError naming the entry or the esbuild diagnostics.
 */
export async function buildAll(options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const { manifest } = options;
  const root = options.root ?? repositoryRoot;
  const outDir = path.resolve(root, options.outDir ?? "dist");
  const selected = selectTargets(manifest, options.only);
  const artifacts: BuildArtifact[] = [];
  const result: BuildResult = { outDir, artifacts, relays: [], durationMs: 0 };
  const jobs: Promise<void>[] = [];

  if (selected.worker) {
    requireEntry(root, entries.worker);
    jobs.push(
      (async () => {
        const output = await bundle(
          {
            entryPoints: [path.join(root, entries.worker)],
            outfile: path.join(outDir, "worker/index.js"),
            platform: "neutral",
            target: "es2022",
            conditions: ["workerd", "worker", "browser"],
            mainFields: ["module", "main"],
            // Runtime modules: `cloudflare:*` always, `node:*` only under nodejs_compat (reported).
            external: ["cloudflare:*", "node:*"],
          },
          "the worker",
        );
        const script = path.join(outDir, "worker/index.js");
        await writeArtifact(artifacts, "worker", "worker", script, singleOutput(output, "worker"));
        const nodeImports = nodeImportsOf(output.metafile);
        await writeJson(path.join(outDir, "worker/wrangler.json"), renderWorkerDeployConfig(manifest, { nodeCompat: nodeImports.length > 0 }));
        result.worker = { script, nodeImports };
      })(),
    );
  }

  if (selected.node) {
    jobs.push(
      (async () => {
        const artifact = await buildNodeServer({ root, outDir });
        artifacts.push(artifact);
        result.node = { script: artifact.file };
      })(),
    );
  }

  if (selected.netlify.length > 0) {
    requireEntry(root, entries.netlify);
    const factory = await netlifyFactoryExport(root);
    for (const spec of selected.netlify) {
      jobs.push(
        (async () => {
          const dir = path.join(outDir, "netlify", spec.id);
          const file = path.join(dir, "functions", netlifyFunctionFile);
          const output = await bundle(
            {
              stdin: netlifyEntry(root, spec, factory),
              outfile: file,
              platform: "node",
              target: "node20",
              banner: { js: nodeRequireBanner },
            },
            `netlify relay ${spec.id}`,
          );
          // Netlify reads `config` statically from the function's main file, so it is appended as
          // a literal statement instead of being left to the bundler.
          const contents =
            `${singleOutput(output, spec.id).trimEnd()}\n\n` +
            "// Netlify in-source configuration, read from source (never run): https://docs.netlify.com/build/functions/configuration/\n" +
            `${netlifyConfigStatement(spec)}\n`;
          await checkNetlifyFunction(spec.id, contents);
          await writeArtifact(artifacts, spec.id, "netlify", file, contents);
          await mkdir(path.join(dir, "publish"), { recursive: true });
          await writeFile(path.join(dir, "publish", "robots.txt"), "User-agent: *\nDisallow: /\n");
          await writeFile(path.join(dir, "netlify.toml"), renderRelayNetlifyToml(spec));
          result.relays.push({ id: spec.id, platform: "netlify", region: spec.region, dir, module: file });
        })(),
      );
    }
  }

  if (selected.vercel.length > 0) {
    requireEntry(root, entries.vercel);
    jobs.push(
      (async () => {
        const output = await bundle(
          {
            stdin: defaultOnlyEntry(root, entries.vercel),
            outfile: path.join(outDir, "vercel", "index.mjs"),
            platform: "node",
            target: "node20",
            banner: { js: nodeRequireBanner },
          },
          "the vercel relay",
        );
        const code = singleOutput(output, "vercel");
        for (const spec of selected.vercel) {
          const dir = path.join(outDir, "vercel", spec.id);
          const tree = path.join(dir, ".vercel", "output");
          const functionDir = path.join(tree, "functions", `${vercelFunctionName}.func`);
          const file = path.join(functionDir, "index.mjs");
          await writeArtifact(artifacts, spec.id, "vercel", file, code);
          await writeJson(path.join(functionDir, ".vc-config.json"), vercelFunctionConfig(spec));
          await writeJson(path.join(tree, "config.json"), vercelOutputConfig());
          result.relays.push({ id: spec.id, platform: "vercel", region: spec.region, dir, module: file });
        }
      })(),
    );
  }

  const settled = await Promise.allSettled(jobs);
  const failures = settled.filter((item): item is PromiseRejectedResult => item.status === "rejected");
  if (failures.length > 0) {
    const [first, ...rest] = failures.map((item) => item.reason as Error);
    if (rest.length === 0 && first) throw first;
    throw new BuildError(failures.map((item) => (item.reason as Error).message).join("\n\n"));
  }

  if (options.vercelOutputDir) {
    const [spec, ...others] = selected.vercel;
    if (!spec || others.length > 0) {
      throw new BuildError("--vercel-output needs exactly one Vercel relay selected (use --only <relay-id>)");
    }
    const target = path.resolve(root, options.vercelOutputDir);
    await rm(target, { recursive: true, force: true });
    await mkdir(path.dirname(target), { recursive: true });
    await cp(path.join(outDir, "vercel", spec.id, ".vercel", "output"), target, { recursive: true });
  }

  const order = (artifact: BuildArtifact) => ["worker", "node", "netlify", "vercel"].indexOf(artifact.kind);
  artifacts.sort((a, b) => order(a) - order(b) || a.target.localeCompare(b.target));
  result.relays.sort((a, b) => manifest.relays.findIndex((r) => r.id === a.id) - manifest.relays.findIndex((r) => r.id === b.id));
  result.durationMs = Math.round(performance.now() - started);
  return result;
}

function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** A plain-text table of the artifacts: target, file, bytes, gzip. */
export function formatSizeTable(result: BuildResult, cwd = process.cwd()): string {
  const rows = result.artifacts.map((artifact) => [
    artifact.target,
    path.relative(cwd, artifact.file) || artifact.file,
    `${artifact.bytes} (${formatBytes(artifact.bytes)})`,
    `${artifact.gzipBytes} (${formatBytes(artifact.gzipBytes)})`,
  ]);
  return formatTable(rows, { header: ["target", "file", "bytes", "gzip"] });
}
