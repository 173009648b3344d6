/**
 * Stand-ins for `netlify`, `vercel` and `wrangler` in the deploy tests, placed first on PATH.
 *
 * Every call is recorded (argv, cwd, stdin, environment, and the content and mode of any file
 * named on the command line) as one JSON line in `$FAKE_CLI_DIR/calls.jsonl`. The answers copy the
 * real CLIs' output formats (netlify-cli 26.2, vercel 64.0.2, wrangler 4.86; see deploy/netlify.ts,
 * deploy/vercel.ts, deploy/cloudflare.ts), and "deployed" URLs are real: a deploy starts the very
 * bundle it was handed — a relay under Node through dist/dev/relay-host.mjs, the worker under
 * workerd through worker-server.mjs — as a detached process on loopback, keeping its port across
 * redeploys as a platform keeps its domain. Their process ids go to `$FAKE_CLI_DIR/pids` for the
 * test to stop. Platform state (sites, projects, variables, secrets) lives in
 * `$FAKE_CLI_DIR/platforms.json`.
 *
 * `FAKE_FAIL=<tool>:<command>` (e.g. `netlify:env:import`) makes that command fail like a real
 * CLI error, echoing its input (to prove the deploy redacts what it shows).
 */
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repositoryRoot = path.resolve(here, "../../..");
const relayHost = path.join(repositoryRoot, "dist/dev/relay-host.mjs");
const workerServer = path.join(here, "worker-server.mjs");

function fakeDir() {
  const dir = process.env.FAKE_CLI_DIR;
  if (!dir) fail("FAKE_CLI_DIR is not set");
  mkdirSync(dir, { recursive: true });
  return dir;
}

function fail(message, code = 1) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function readStdin() {
  if (process.stdin.isTTY) return "";
  let text = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

function record(tool, stdin) {
  const files = {};
  for (const argument of process.argv.slice(2)) {
    if (argument.startsWith("/") && existsSync(argument) && statSync(argument).isFile()) {
      files[argument] = { content: readFileSync(argument, "utf8"), mode: (statSync(argument).mode & 0o777).toString(8) };
    }
  }
  const entry = { tool, argv: process.argv.slice(2), cwd: process.cwd(), stdin, env: { ...process.env }, files };
  appendFileSync(path.join(fakeDir(), "calls.jsonl"), JSON.stringify(entry) + "\n");
}

function loadPlatforms() {
  const file = path.join(fakeDir(), "platforms.json");
  if (!existsSync(file)) return { netlify: { sites: [], created: 0 }, vercel: { projects: [], created: 0 }, cloudflare: { workers: {} } };
  return JSON.parse(readFileSync(file, "utf8"));
}

function savePlatforms(platforms) {
  writeFileSync(path.join(fakeDir(), "platforms.json"), JSON.stringify(platforms, null, 2));
}

/** The value of `--name value` in argv. */
function option(name) {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a server this fake started before (its whole process group), waiting until it is gone. */
async function stopServer(pid) {
  if (!pid || !alive(pid)) return;
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return;
  }
  for (let waited = 0; waited < 5_000 && alive(pid); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  if (alive(pid)) process.kill(-pid, "SIGKILL");
}

/**
 * Starts `node <script> …args` detached (its own process group), output to a log file, and
 * resolves with the URL it prints as "listening on <url>".
 */
async function startServer(label, script, args, env) {
  const log = path.join(fakeDir(), `${label}.${Date.now()}.log`);
  const output = openSync(log, "a");
  const child = spawn(process.execPath, [script, ...args], { detached: true, stdio: ["ignore", output, output], env: { PATH: process.env.PATH ?? "", ...env } });
  appendFileSync(path.join(fakeDir(), "pids"), `${child.pid}\n`);
  child.unref();
  for (let waited = 0; waited < 30_000; waited += 50) {
    const text = readFileSync(log, "utf8");
    const match = /listening on (http:\/\/\S+)/.exec(text);
    if (match) return { url: match[1], pid: child.pid, port: Number(new URL(match[1]).port) };
    if (!alive(child.pid)) fail(`${label} exited during start:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  fail(`${label} did not start within 30 s`);
}

function maybeFail(tool, command, input) {
  if (process.env.FAKE_FAIL !== `${tool}:${command}`) return;
  fail(`Error: ${command} failed on the platform side. Input was:\n${input}`);
}

/** Parses `KEY='value'` / `KEY="value"` / KEY=`value` lines as dotenv does. */
function parseDotenv(text) {
  const values = {};
  for (const line of text.split("\n")) {
    const match = /^\s*([\w.-]+)\s*=\s*(?:'([^']*)'|"([^"]*)"|`([^`]*)`|(.*))\s*$/.exec(line);
    if (match) values[match[1]] = match[2] ?? match[3] ?? match[4] ?? (match[5] ?? "").trim();
  }
  return values;
}

// ---------------------------------------------------------------- netlify

async function netlify(stdin) {
  const [command] = process.argv.slice(2);
  const platforms = loadPlatforms();
  const { sites } = platforms.netlify;
  if (!process.env.NETLIFY_AUTH_TOKEN) fail("Error: Authentication required. NETLIFY_AUTH_TOKEN is not set");
  const siteOf = (idOrName) => sites.find((site) => site.id === idOrName || site.name === idOrName) ?? fail(`Error: Project not found: ${idOrName}`);
  switch (command) {
    case "sites:list": {
      maybeFail("netlify", command, "");
      // The real CLI prints nothing at all for an account without sites.
      if (sites.length > 0) process.stdout.write(JSON.stringify(sites.map(({ env: _env, pid: _pid, port: _port, ...site }) => site), null, 2));
      return;
    }
    case "sites:create": {
      maybeFail("netlify", command, "");
      const wanted = option("--name");
      const taken = (process.env.FAKE_NETLIFY_TAKEN ?? "").split(",");
      const name = taken.includes(wanted) || sites.some((site) => site.name === wanted) ? `${wanted}-${100 + sites.length}` : wanted;
      const id = `site-${platforms.netlify.created + 1}-0000-4000-8000-000000000000`;
      const site = {
        id,
        name,
        state: "current",
        url: `http://${name}.netlify.app`,
        ssl_url: `https://${name}.netlify.app`,
        admin_url: `https://app.netlify.com/projects/${name}`,
        account_slug: option("--account-slug") ?? "fake-team",
        created_at: new Date().toISOString(),
        env: {},
      };
      sites.push(site);
      platforms.netlify.created++;
      savePlatforms(platforms);
      const { env: _env, ...shown } = site;
      process.stdout.write(JSON.stringify(shown, null, 2));
      return;
    }
    case "env:import": {
      const file = process.argv[3];
      const text = readFileSync(file, "utf8");
      maybeFail("netlify", command, text);
      const site = siteOf(option("--site"));
      Object.assign(site.env, parseDotenv(text));
      savePlatforms(platforms);
      // Like the real CLI, the JSON answer carries every value: the caller must not show it.
      process.stdout.write(JSON.stringify(site.env, null, 2));
      return;
    }
    case "deploy": {
      maybeFail("netlify", command, "");
      if (!process.argv.includes("--prod") || !process.argv.includes("--no-build")) fail("fake netlify: expected --prod --no-build");
      const site = siteOf(option("--site"));
      const bundle = path.resolve(option("--functions"), "gemrelay.mjs");
      const source = readFileSync(bundle, "utf8");
      // Netlify reads the region from the literal config statement in the source.
      const region = /^export const config = \{.*region: "([a-z]+)".*\};$/m.exec(source)?.[1] ?? fail("fake netlify: no literal config with a region");
      await stopServer(site.pid);
      const server = await startServer(`netlify-${site.name}`, relayHost, [bundle, "netlify", region, String(site.port ?? 0), site.name], {
        RELAY_TOKEN: site.env.RELAY_TOKEN ?? "",
        GEMINI_UPSTREAM: site.env.GEMINI_UPSTREAM ?? "",
      });
      Object.assign(site, { pid: server.pid, port: server.port, region });
      savePlatforms(platforms);
      const deployId = `dpl${Date.now().toString(16)}`;
      process.stdout.write(
        JSON.stringify(
          {
            site_id: site.id,
            site_name: site.name,
            deploy_id: deployId,
            deploy_url: server.url,
            logs: `https://app.netlify.com/projects/${site.name}/deploys/${deployId}`,
            function_logs: `https://app.netlify.com/projects/${site.name}/logs/functions`,
            edge_function_logs: `https://app.netlify.com/projects/${site.name}/logs/edge-functions`,
            url: server.url,
          },
          null,
          2,
        ),
      );
      return;
    }
    default:
      fail(`fake netlify: unsupported command ${command}`);
  }
}

// ---------------------------------------------------------------- vercel

async function vercel(stdin) {
  const args = process.argv.slice(2);
  const platforms = loadPlatforms();
  const { projects } = platforms.vercel;
  if (!process.env.VERCEL_TOKEN) fail("Error: No existing credentials found. Please run `vercel login` or pass \"--token\"");
  if (args.includes("--token")) fail("fake vercel: the token must come from VERCEL_TOKEN");
  const linked = () => {
    const { VERCEL_ORG_ID: org, VERCEL_PROJECT_ID: project } = process.env;
    if (Boolean(org) !== Boolean(project)) fail("Error: You specified `VERCEL_ORG_ID` but you forgot to specify `VERCEL_PROJECT_ID`. You need to specify both to deploy to a custom project.");
    if (!project) fail("Error: Your codebase isn't linked to a project on Vercel. Run `vercel link` to begin.");
    return projects.find((candidate) => candidate.id === project && candidate.orgId === org) ?? fail(`Error: Project not found (${project})`);
  };
  const command = args[0] === "project" || args[0] === "env" ? `${args[0]} ${args[1]}` : args[0];
  switch (command) {
    case "project add": {
      maybeFail("vercel", "project add", "");
      const name = args[2];
      if (!projects.some((project) => project.name === name)) {
        projects.push({ id: `prj_fake${platforms.vercel.created + 1}`, name, orgId: option("--scope") ?? "team_fake", env: {} });
        platforms.vercel.created++;
        savePlatforms(platforms);
      }
      process.stderr.write(`Success! Project ${name} added (fake-team) [12ms]\n`);
      return;
    }
    case "link": {
      maybeFail("vercel", "link", "");
      const name = option("--project");
      const project = projects.find((candidate) => candidate.name === name);
      // The real `link --yes` would create a missing project and connect the Git repository: the deploy must add it first.
      if (!project) fail(`fake vercel: link to a project that does not exist (${name})`);
      mkdirSync(path.join(process.cwd(), ".vercel"), { recursive: true });
      writeFileSync(path.join(process.cwd(), ".vercel", "project.json"), JSON.stringify({ projectId: project.id, orgId: project.orgId }));
      process.stderr.write(`✅  Linked to fake-team/${name} (created .vercel)\n`);
      return;
    }
    case "env add": {
      maybeFail("vercel", "env add", stdin);
      const project = linked();
      const key = args[2];
      if (args[3] !== "production") fail("fake vercel: expected the production environment");
      if (project.env[key] !== undefined && !args.includes("--force")) fail(`Error: The variable "${key}" has already been added to all Environments.`);
      project.env[key] = stdin.replace(/\n$/, "");
      savePlatforms(platforms);
      process.stderr.write(`✅  Added Environment Variable ${key} to Project ${project.name} [20ms]\n`);
      return;
    }
    case "deploy": {
      maybeFail("vercel", "deploy", "");
      if (!args.includes("--prebuilt") || !args.includes("--prod")) fail("fake vercel: expected --prebuilt --prod");
      const project = linked();
      const functionDir = path.join(process.cwd(), ".vercel/output/functions/relay.func");
      const config = JSON.parse(readFileSync(path.join(functionDir, ".vc-config.json"), "utf8"));
      const region = config.regions[0];
      await stopServer(project.pid);
      const server = await startServer(`vercel-${project.name}`, relayHost, [path.join(functionDir, config.handler), "vercel", region, String(project.port ?? 0), project.name], {
        RELAY_TOKEN: project.env.RELAY_TOKEN ?? "",
        GEMINI_UPSTREAM: project.env.GEMINI_UPSTREAM ?? "",
        VERCEL_REGION: region,
      });
      Object.assign(project, { pid: server.pid, port: server.port, region });
      savePlatforms(platforms);
      // Like vercel 64 without a terminal: the per-deployment URL (behind Deployment Protection, so
      // unreachable here) on stdout, the production alias on stderr.
      process.stderr.write(`Vercel CLI 64.0.2\n  Inspect         https://vercel.com/fake-team/${project.name}/dpl_fake\n  Production      https://${project.name}-abc123-fake-team.vercel.app [2s]\n▲ Aliased         ${server.url} [2s]\n`);
      process.stdout.write(`https://${project.name}-abc123-fake-team.vercel.app`);
      return;
    }
    default:
      fail(`fake vercel: unsupported command ${args.join(" ")}`);
  }
}

// ---------------------------------------------------------------- wrangler

async function startWorker(worker, config, configFile) {
  const optionsFile = path.join(fakeDir(), `worker-${config.name}.json`);
  writeFileSync(
    optionsFile,
    JSON.stringify({
      name: config.name,
      scriptPath: path.resolve(path.dirname(configFile), config.main),
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags ?? [],
      durableObjects: Object.fromEntries(config.durable_objects.bindings.map((binding) => [binding.name, { className: binding.class_name, useSQLite: true }])),
      persistRoot: path.join(fakeDir(), "durable-objects", config.name),
      bindings: { ...config.vars, ...worker.secrets },
      port: worker.port ?? 0,
    }),
    { mode: 0o600 },
  );
  await stopServer(worker.pid);
  const server = await startServer(`worker-${config.name}`, workerServer, [optionsFile], {});
  Object.assign(worker, { pid: server.pid, port: server.port, url: server.url, config: configFile });
  return server;
}

async function wrangler(stdin) {
  const args = process.argv.slice(2);
  const platforms = loadPlatforms();
  const { workers } = platforms.cloudflare;
  if (!process.env.CLOUDFLARE_API_TOKEN || !process.env.CLOUDFLARE_ACCOUNT_ID) fail("✘ [ERROR] In a non-interactive environment, it's necessary to set a CLOUDFLARE_API_TOKEN environment variable for wrangler to work.");
  const configFile = path.resolve(option("--config") ?? fail("fake wrangler: expected --config"));
  const config = JSON.parse(readFileSync(configFile, "utf8"));
  const worker = (workers[config.name] ??= { secrets: {} });
  const command = args[0] === "secret" ? `secret ${args[1]}` : args[0];
  switch (command) {
    case "deploy": {
      maybeFail("wrangler", "deploy", "");
      if (args.includes("--dry-run")) fail("fake wrangler: dry runs use the real wrangler");
      if (config.no_bundle !== true) fail("fake wrangler: expected no_bundle, the bundle is built already");
      const server = await startWorker(worker, config, configFile);
      worker.vars = config.vars;
      savePlatforms(platforms);
      const size = statSync(path.resolve(path.dirname(configFile), config.main)).size;
      process.stdout.write(
        [
          `Total Upload: ${(size / 1024).toFixed(2)} KiB / gzip: ${(size / 4096).toFixed(2)} KiB`,
          "Your Worker has access to the following bindings:",
          "Binding                    Resource",
          "env.POOL (PoolState)       Durable Object",
          ...Object.entries(config.vars ?? {}).map(([key, value]) => `env.${key} ("${String(value).slice(0, 40)}")  Environment Variable`),
          "",
          `Uploaded ${config.name} (1.02 sec)`,
          `Deployed ${config.name} triggers (0.31 sec)`,
          `  ${server.url}`,
          "Current Version ID: 6b2c0f5e-0000-4000-8000-000000000000",
          "",
        ].join("\n"),
      );
      return;
    }
    case "secret bulk": {
      const file = args[2];
      const text = file ? readFileSync(file, "utf8") : stdin;
      maybeFail("wrangler", "secret bulk", text);
      const secrets = JSON.parse(text);
      Object.assign(worker.secrets, secrets);
      process.stdout.write(`🌀 Creating the secrets for the Worker "${config.name}" \n`);
      // Secrets reach the running worker, as a new version would.
      if (worker.pid) await startWorker(worker, config, worker.config ?? configFile);
      savePlatforms(platforms);
      for (const key of Object.keys(secrets)) process.stdout.write(`✨ Successfully created secret for key: ${key}\n`);
      process.stdout.write(`\nFinished processing secrets file:\n✨ ${Object.keys(secrets).length} secrets successfully uploaded\n`);
      return;
    }
    default:
      fail(`fake wrangler: unsupported command ${args.join(" ")}`);
  }
}

/** Entry of the stand-in executables. */
export async function main(tool) {
  const stdin = await readStdin();
  record(tool, stdin);
  if (tool === "netlify") await netlify(stdin);
  else if (tool === "vercel") await vercel(stdin);
  else await wrangler(stdin);
}
