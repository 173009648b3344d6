/**
 * The `gemrelay` command line: `build`, `start`, `dev`, `deploy`, `doctor`, `configs`. Run through
 * `deploy/bin/gemrelay.js` (`npx gemrelay …`), or `tsx deploy/cli.ts …`.
 */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BuildError, buildAll, buildNodeServer, formatSizeTable } from "./build.ts";
import { type Command, manifestHelp, manifestOption, optionList, UsageError } from "./cli-command.ts";
import { backupCommand, restoreCommand } from "./backup-command.ts";
import { deployCommand } from "./deploy-command.ts";
import { describeDevChain, type DevChain, startDevChain } from "./dev.ts";
import { doctorCommand } from "./doctor-command.ts";
import { migrateCommand } from "./migrate-command.ts";
import { loadManifest, ManifestError, resolveManifestPath } from "./manifest.ts";
import { renderTopLevelConfigs } from "./render.ts";
import { manifestSchemaFile, renderManifestSchema } from "./schema.ts";
import { repositoryRoot } from "./targets.ts";

const outDirHelp = "  --out-dir <dir>     bundle folder (default: dist)";

const commands: Record<string, Command> = {
  backup: backupCommand,
  restore: restoreCommand,
  build: {
    summary: "bundle every deployable of the manifest with esbuild and report sizes",
    usage: [
      "gemrelay build [--manifest <file>] [--out-dir <dir>] [--only <target>[,<target>…]] [--vercel-output <dir>]",
      "",
      "Writes dist/worker/ (Cloudflare Worker + wrangler.json), dist/node/server.mjs (self-host),",
      "dist/netlify/<id>/ (function with a literal config, publish folder) and dist/vercel/<id>/.vercel/output/",
      "(Build Output API v3) for each relay, then prints a size table (bytes and gzip).",
      "",
      manifestHelp,
      outDirHelp,
      "  --only <target>     build only these: worker, node, or relay ids (repeatable, comma-separated)",
      "  --vercel-output <dir>  also copy the selected Vercel relay's Build Output tree there",
      "                      (vercel.json uses `--only <id> --vercel-output .vercel/output`)",
    ].join("\n"),
    options: { ...manifestOption, "out-dir": { type: "string" }, only: { type: "string", multiple: true }, "vercel-output": { type: "string" } },
    async run(values) {
      const manifest = await loadManifest(resolveManifestPath(values.manifest as string | undefined));
      const result = await buildAll({
        manifest,
        root: repositoryRoot,
        outDir: path.resolve((values["out-dir"] as string | undefined) ?? "dist"),
        only: optionList(values.only),
        ...(values["vercel-output"] ? { vercelOutputDir: path.resolve(values["vercel-output"] as string) } : {}),
      });
      console.log(formatSizeTable(result));
      if (result.worker && result.worker.nodeImports.length > 0) {
        console.log(`note: the worker imports ${result.worker.nodeImports.join(", ")}; deploys set nodejs_compat`);
      }
      console.log(`built in ${result.durationMs} ms`);
      return 0;
    },
  },

  start: {
    summary: "build and run the self-host server (PORT, DATA_DIR, … from the environment)",
    usage: [
      "gemrelay start [--out-dir <dir>]",
      "",
      "Builds dist/node/server.mjs, then runs it with this environment: PORT (default 8787),",
      "DATA_DIR (default ./data), GEMINI_API_KEYS, AUTH_KEY, ADMIN_KEY, RELAY_URLS, RELAY_TOKEN,",
      "GEMINI_UPSTREAM. SIGTERM and SIGINT are passed to the server, which shuts down cleanly.",
      "",
      "  --out-dir <dir>     bundle folder (default: dist); keep it inside the project, where the",
      "                      server finds better-sqlite3 in node_modules",
    ].join("\n"),
    options: { "out-dir": { type: "string" } },
    async run(values) {
      const artifact = await buildNodeServer({ root: repositoryRoot, outDir: path.resolve((values["out-dir"] as string | undefined) ?? "dist") });
      return runForwardingSignals(process.execPath, [artifact.file]);
    },
  },

  dev: {
    summary: "run the manifest's whole chain on loopback with the real bundles",
    usage: [
      "gemrelay dev [--port <n>] [--manifest <file>] [--state-dir <dir>] [--out-dir <dir>] [--no-build] [--runtimes node|platform]",
      "",
      "Builds the bundles, starts each relay under Node on port+1, port+2, … and the worker under",
      "workerd (miniflare, Durable Object SQLite state kept in --state-dir) on port, waits until all",
      "answer /health, and prints their URLs. Secrets come from the variables the manifest names",
      "(RELAY_TOKEN is generated for the session when unset); GEMINI_UPSTREAM overrides the manifest's",
      "upstream. Ctrl-C (SIGINT) or SIGTERM stops everything.",
      "",
      "  --port <n>          worker port (default 8787; 0 = ephemeral ports for everything)",
      manifestHelp,
      "  --state-dir <dir>   Durable Object state (default .gemrelay/dev/state)",
      outDirHelp,
      "  --no-build          reuse the bundles already in --out-dir",
      "  --runtimes <kind>   node (default): workerd through miniflare, relays under Node;",
      "                      platform: the platforms' own local runtimes from node_modules, offline —",
      "                      wrangler dev, netlify functions:serve --offline, @vercel/node's dev server",
      "                      (Vercel relays then take a port of their own choosing; logs go to files)",
    ].join("\n"),
    options: {
      ...manifestOption,
      port: { type: "string" },
      "state-dir": { type: "string" },
      "out-dir": { type: "string" },
      "no-build": { type: "boolean" },
      runtimes: { type: "string" },
    },
    async run(values) {
      const runtimes = (values.runtimes as string | undefined) ?? "node";
      if (runtimes !== "node" && runtimes !== "platform") throw new UsageError(`--runtimes must be node or platform, got "${runtimes}"`);
      const manifest = await loadManifest(resolveManifestPath(values.manifest as string | undefined));
      const portText = (values.port as string | undefined) ?? process.env.PORT ?? "8787";
      const port = Number(portText);
      if (!/^\d+$/.test(portText) || port > 65_535) throw new UsageError(`--port must be a port number, got "${portText}"`);
      let chain: DevChain | undefined;
      let stopping = false;
      const stopped = new Promise<number>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) {
            console.log(`${signal} again: exiting now`);
            process.exit(1);
          }
          stopping = true;
          console.log(`${signal} received, stopping the chain…`);
          void starting.then(
            async () => {
              await chain?.close();
              console.log("gemrelay dev: stopped");
              resolve(0);
            },
            () => resolve(1),
          );
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      const starting = startDevChain({
        manifest,
        port,
        env: process.env,
        outDir: path.resolve((values["out-dir"] as string | undefined) ?? "dist"),
        build: values["no-build"] !== true,
        stateDir: path.resolve((values["state-dir"] as string | undefined) ?? path.join(repositoryRoot, ".gemrelay/dev/state")),
        log: (line) => console.log(line),
        runtimes,
      });
      chain = await starting;
      if (!stopping) console.log(describeDevChain(chain, manifest, process.env));
      return stopped;
    },
  },

  deploy: deployCommand,

  doctor: doctorCommand,

  migrate: migrateCommand,

  configs: {
    summary: "render wrangler.toml, netlify.toml, vercel.json and the manifest's JSON Schema",
    usage: [
      "gemrelay configs [--manifest <file>] [--write | --check]",
      "",
      "Prints the top-level platform configs the manifest renders (used by \"connect the repository\"",
      "deploys) and deploy/manifest.schema.json (the manifest's JSON Schema, generated from its zod",
      "schema, for editor completion). --write rewrites them; --check exits 1 when one differs.",
      "",
      manifestHelp,
    ].join("\n"),
    options: { ...manifestOption, write: { type: "boolean" }, check: { type: "boolean" } },
    async run(values) {
      const manifest = await loadManifest(resolveManifestPath(values.manifest as string | undefined));
      const rendered: Record<string, string> = {
        ...renderTopLevelConfigs(manifest),
        [path.relative(repositoryRoot, manifestSchemaFile)]: renderManifestSchema(),
      };
      let differing = 0;
      for (const [name, text] of Object.entries(rendered)) {
        const file = path.join(repositoryRoot, name);
        if (values.write) {
          await writeFile(file, text);
          console.log(`wrote ${name}`);
        } else if (values.check) {
          const current = await readFile(file, "utf8").catch(() => "");
          if (current !== text) {
            differing++;
            console.log(`${name} differs from what the manifest renders (run \`gemrelay configs --write\`)`);
          }
        } else {
          console.log(`# ----- ${name}\n${text}`);
        }
      }
      if (values.check && differing === 0) console.log("wrangler.toml, netlify.toml, vercel.json and the manifest schema match the manifest");
      return differing > 0 ? 1 : 0;
    },
  },
};

/**
 * Runs a child with this process's stdio and environment, passing on SIGINT, SIGTERM and SIGHUP
 * so the child shuts down cleanly; resolves with its exit code (128 + signal number if killed).
 */
export function runForwardingSignals(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit", env: process.env });
    const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const signal of signals) process.on(signal, forward);
    // `npm start` runs us under `sh -c`; npm passes SIGTERM to that shell, which dies without
    // passing it on. Being re-parented is the only trace of that, so treat it as SIGTERM.
    const parent = process.ppid;
    const orphanWatch = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(orphanWatch);
      forward("SIGTERM");
    }, 500);
    orphanWatch.unref();
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearInterval(orphanWatch);
      for (const name of signals) process.off(name, forward);
      const numbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
      resolve(code ?? 128 + (signal ? (numbers[signal] ?? 0) : 0));
    });
  });
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    "gemrelay — one reliable, fast endpoint for the Gemini API",
    "",
    "Usage: gemrelay <command> [options]    (gemrelay <command> --help for details)",
    "",
    ...Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
  ].join("\n");
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? rest[0] : undefined;
    const command = topic ? commands[topic] : undefined;
    console.log(command ? `Usage: ${command.usage}` : mainHelp());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`gemrelay: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`Usage: ${command.usage}`);
    return 0;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: command.positionals ?? false, strict: true });
    return await command.run(values as Record<string, unknown>, positionals);
  } catch (error) {
    if (error instanceof ManifestError) {
      console.error(error.message);
      return 2;
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`gemrelay ${name}: ${(error as Error).message}\n\nUsage: ${command.usage}`);
      return 2;
    }
    if (error instanceof BuildError) {
      console.error(`gemrelay ${name}: ${error.message}`);
      return 1;
    }
    console.error(`gemrelay ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}

/** True when this file is the program (`tsx deploy/cli.ts …`); the bin script calls `main` itself. */
const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) process.exit(await main(process.argv.slice(2)));
