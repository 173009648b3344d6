/**
 * Offline checks of a built relay folder before it is handed to a platform CLI (and the whole of
 * what `--dry-run` can check without the network): the files each platform reads are there and
 * say what the manifest asked for, and the bundle loads under Node and exports the handler its
 * platform calls.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { netlifyConfigStatement, vercelFunctionConfig, vercelOutputConfig } from "./build.ts";
import type { NetlifyRelaySpec, VercelRelaySpec } from "./manifest.ts";
import { netlifyFunctionFile, vercelFunctionName } from "./targets.ts";

/** A built folder that would not deploy as the manifest says. */
export class PreflightError extends Error {
  override name = "PreflightError";
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new PreflightError(`${file}: ${(error as Error).message}`);
  }
}

/** The default export of a bundle, imported the way the platform's Node runtime would. */
async function defaultExport(file: string): Promise<unknown> {
  try {
    // A query string makes Node load this build, not a cached import of an earlier one.
    const module = (await import(`${pathToFileURL(file).href}?preflight=${Date.now()}`)) as { default?: unknown };
    return module.default;
  } catch (error) {
    throw new PreflightError(`${file} does not load under Node: ${(error as Error).message}`);
  }
}

/** What a check found, one line per fact, for the plan. */
export type PreflightReport = string[];

/** Checks `<out>/netlify/<id>/`: netlify.toml, publish/, and the function with its literal config. */
export async function checkNetlifyFolder(dir: string, spec: NetlifyRelaySpec): Promise<PreflightReport> {
  for (const needed of ["netlify.toml", "publish"]) {
    if (!existsSync(path.join(dir, needed))) throw new PreflightError(`${path.join(dir, needed)} is missing`);
  }
  const file = path.join(dir, "functions", netlifyFunctionFile);
  const source = await readFile(file, "utf8").catch(() => {
    throw new PreflightError(`${file} is missing`);
  });
  // Netlify reads this statement from the source text; it must be exactly the one the manifest renders.
  const statement = netlifyConfigStatement(spec);
  if (!source.includes(`\n${statement}\n`)) throw new PreflightError(`${file} lacks the literal config \`${statement}\``);
  if (typeof (await defaultExport(file)) !== "function") throw new PreflightError(`${file}: the default export is not a function`);
  return [`functions/${netlifyFunctionFile}: Functions v2 handler, region ${spec.region}`, "publish/ and netlify.toml present"];
}

const vcConfig = z.object({
  runtime: z.string(),
  handler: z.string(),
  regions: z.array(z.string()),
  maxDuration: z.number(),
});

/** Checks `<out>/vercel/<id>/.vercel/output/`: config.json, the function's .vc-config.json and handler. */
export async function checkVercelFolder(dir: string, spec: VercelRelaySpec): Promise<PreflightReport> {
  const tree = path.join(dir, ".vercel", "output");
  const config = await readJson(path.join(tree, "config.json"));
  if (JSON.stringify(config) !== JSON.stringify(vercelOutputConfig())) {
    throw new PreflightError(`${path.join(tree, "config.json")} is not the Build Output API v3 config gemrelay writes`);
  }
  const functionDir = path.join(tree, "functions", `${vercelFunctionName}.func`);
  const parsed = vcConfig.safeParse(await readJson(path.join(functionDir, ".vc-config.json")));
  if (!parsed.success) throw new PreflightError(`${path.join(functionDir, ".vc-config.json")}: ${parsed.error.issues[0]?.message}`);
  const expected = vercelFunctionConfig(spec) as z.infer<typeof vcConfig>;
  if (parsed.data.regions.join() !== expected.regions.join() || parsed.data.maxDuration !== expected.maxDuration) {
    throw new PreflightError(`${functionDir}/.vc-config.json says regions ${parsed.data.regions.join(",")}, maxDuration ${parsed.data.maxDuration}; the manifest says ${spec.region}, ${spec.maxDuration}`);
  }
  const handler = await defaultExport(path.join(functionDir, parsed.data.handler));
  if (typeof (handler as { fetch?: unknown } | undefined)?.fetch !== "function") {
    throw new PreflightError(`${functionDir}/${parsed.data.handler}: the default export has no fetch()`);
  }
  return [
    `.vercel/output: Build Output API v3, function ${vercelFunctionName} (${parsed.data.runtime}, web fetch handler)`,
    `regions ${parsed.data.regions.join(", ")}, maxDuration ${parsed.data.maxDuration} s`,
  ];
}
