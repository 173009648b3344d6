/**
 * The deploy manifest (`deploy/manifest.yaml`): one description of the whole chain — the resume
 * worker, the egress relays, and which environment variables hold each secret at deploy time.
 * `gemrelay build`, `gemrelay dev` and `gemrelay deploy` all read it through `loadManifest`.
 *
 * Secret values never appear in the manifest; it only names the variables that carry them.
 */
import { strategyNames } from "../shared/routing/strategy.ts";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import {
  allowedRegions,
  locationHints,
  placementRegionPattern,
  refusedPlacementRegions,
  relayRegions,
} from "./regions.ts";

/** Default Gemini base URL (kept in step with shared/config/env.ts). */
export { defaultUpstream } from "../shared/config/upstream.ts";
import { defaultUpstream } from "../shared/config/upstream.ts";
import { operationsSchema } from "./operations.ts";
import { locationHintForPlacement, relayPlatformFacts, type LocationHint } from "./platforms.ts";

/** Default manifest path, relative to the working directory. */
export const defaultManifestPath = "deploy/manifest.yaml";

/** Relay platforms a manifest may name. */
export const relayPlatforms = ["netlify", "vercel"] as const;
export type RelayPlatform = (typeof relayPlatforms)[number];

/** The secrets a chain needs, by the name every deployable reads (DESIGN.md "Environment"). */
export const secretNames = ["RELAY_TOKEN", "AUTH_KEY", "ADMIN_KEY", "GEMINI_API_KEYS"] as const;
export type SecretName = (typeof secretNames)[number];

/** Relay ids that would collide with `--only worker` / the node target. */
const reservedIds = ["worker", "node", "all"];

const slug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
    message: "must be a slug: lowercase letters, digits and inner hyphens, at most 63 characters",
  });

const httpUrl = z
  .string()
  .refine((value) => /^https?:\/\/[^\s/]+/.test(value) && URL.canParse(value), {
    message: "must be an http(s) URL, e.g. https://generativelanguage.googleapis.com",
  })
  .transform((value) => value.replace(/\/+$/, ""));

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  message: "must be an environment variable name (letters, digits, underscore)",
});

/** A free-form policy block (resume): validated by the issue that gives it meaning. */
const policy = z.record(z.string(), z.unknown());

const strategy = z.enum(strategyNames, { error: `must be one of ${strategyNames.join(", ")}` });

/** How the worker spreads and retries requests; becomes ROUTING_* / RELAY_* / PASSTHROUGH variables. */
const routing = z.strictObject({
  /** Strategy over pool keys. */
  keys: strategy.default("round-robin"),
  /** Strategy over relays (`weighted` uses each relay's `weight`). */
  relays: strategy.default("round-robin"),
  /** Upstream attempts per request before giving up. */
  maxAttempts: z.number().int().min(1).max(20).default(6),
  /** Wall time for all attempts before the first byte, ms. */
  budgetMs: z.number().int().min(1_000).default(60_000),
  /** Same conversation start → same key while it is healthy (implicit prompt cache). */
  sticky: z.boolean().default(false),
  /** Client-held Gemini keys: `auth` needs x-relay-auth, `open` does not, `off` refuses. */
  passThrough: z.enum(["auth", "open", "off"]).default("auth"),
  /** Relay circuit breaker. */
  circuit: z
    .strictObject({
      failureThreshold: z.number().int().min(1).default(3),
      openMs: z.number().int().min(0).default(30_000),
      quarantineMs: z.number().int().min(0).default(600_000),
    })
    .default({ failureThreshold: 3, openMs: 30_000, quarantineMs: 600_000 }),
});

/** The routing block with every default filled in. */
export type RoutingSpec = z.infer<typeof routing>;

/** Team the site or project belongs to, for tokens that reach several teams. */
const team = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, { message: "must be a team slug or id (letters, digits, - and _)" })
  .describe("Team slug or id the site/project is created in; default: the token's only (or default) team");

const relayCommon = {
  id: slug
    .refine((id) => !reservedIds.includes(id), {
      message: `is reserved (${reservedIds.join(", ")}); pick another id`,
    })
    .describe("Unique relay id: names the build folder, the default site/project name and `--only <id>`"),
  region: z.string().min(1).describe("Region the relay function runs in; must be one Gemini serves"),
  weight: z.number().int().positive().max(1000).default(1).describe("Share of traffic with `routing.relays: weighted`"),
  upstream: httpUrl.optional().describe("Gemini base URL for this relay; default: the manifest's upstream"),
  team: team.optional(),
  maxStreamSeconds: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("Longest a streamed answer lasts through this relay before the platform cuts it; default Netlify 60, Vercel maxDuration"),
};

const netlifyRelay = z.strictObject({
  ...relayCommon,
  platform: z.literal("netlify"),
  /** Netlify site name (`<site>.netlify.app`); default `<manifest name>-<id>`. */
  site: slug.optional().describe("Netlify site name (<site>.netlify.app); default <name>-<id>"),
});

const vercelRelay = z.strictObject({
  ...relayCommon,
  platform: z.literal("vercel"),
  /** Vercel project name; default `<manifest name>-<id>`. */
  project: slug.optional().describe("Vercel project name; default <name>-<id>"),
  /** Function time limit in seconds (Vercel: 300 default, up to 800 on paid plans). */
  maxDuration: z.number().int().min(1).max(relayPlatformFacts.vercel.maxDurationSeconds).default(relayPlatformFacts.vercel.maxStreamSeconds).describe("Function time limit in seconds (up to 800 on paid plans)"),
});

const relay = z.discriminatedUnion("platform", [netlifyRelay, vercelRelay], {
  error: (issue) =>
    issue.code === "invalid_union"
      ? `unknown platform; allowed: ${relayPlatforms.join(", ")}`
      : undefined,
});

const worker = z.strictObject({
  /** Cloudflare Worker name (`<name>.<subdomain>.workers.dev`). */
  name: slug.describe("Cloudflare Worker name (<name>.<subdomain>.workers.dev)"),
  placement: z
    .strictObject({
      /** Cloud region the Worker runs next to, e.g. `gcp:us-east4` (wrangler `[placement] region`). */
      region: z
        .string()
        .regex(placementRegionPattern, {
          message: 'must be "<aws|gcp|azure>:<region>", e.g. "gcp:us-east4"',
        })
        .describe('Cloud region the Worker runs next to, e.g. "gcp:us-east4" (never a Hong Kong or China region)'),
    })
    .optional(),
  /** Durable Object location hint for the pool-state object; derived from the placement when absent. */
  locationHint: z
    .enum(locationHints, { error: `must be one of ${locationHints.join(", ")}` })
    .optional()
    .describe("Durable Object location hint for the pool state; leave it out to derive it from placement.region (gcp:us-east4 → enam)"),
});

const secrets = z
  .strictObject(
    Object.fromEntries(
      secretNames.map((name) => [name, envName.default(name).describe(`Environment variable holding ${name} at deploy time`)]),
    ) as Record<
      SecretName,
      z.ZodDefault<typeof envName>
    >,
  )
  .default(Object.fromEntries(secretNames.map((name) => [name, name])) as Record<SecretName, string>);

/**
 * The manifest's structure. The checks that span fields (unique relay ids, regions Gemini
 * serves) live in `crossCheck` so they run even when other fields are malformed; use
 * `parseManifest` to get both.
 */
export const manifestSchema = z.strictObject({
  name: slug.describe("Name of the chain; default site/project names are <name>-<relay id>"),
  upstream: httpUrl.default(defaultUpstream).describe("Gemini base URL the relays call"),
  worker: worker.describe("The resume worker (Cloudflare Worker + PoolState Durable Object)"),
  relays: z.array(relay).default([]).describe("Egress relays: stateless, region-pinned"),
  routing: routing.optional().describe("How the worker spreads and retries requests"),
  resume: policy.optional().describe("Resume (anti-truncation) policy"),
  operations: operationsSchema.optional().describe("Model policy, budgets and alert defaults (issue 9; the console edits them at runtime)"),
  secrets: secrets.describe("Which environment variable holds each secret at deploy time (values never go here)"),
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks across fields on the raw input, tolerant of anything malformed (zod reports that):
 * duplicate relay ids, relay regions unknown to the platform or refused by Gemini, refused
 * worker placement regions.
 */
function crossCheck(input: unknown): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  if (!isRecord(input)) return problems;
  const relays = Array.isArray(input.relays) ? input.relays : [];
  const seen = new Map<string, number>();
  relays.forEach((entry: unknown, index) => {
    if (!isRecord(entry)) return;
    if (typeof entry.id === "string") {
      const first = seen.get(entry.id);
      if (first !== undefined) {
        problems.push({
          path: `relays[${index}].id`,
          message: `duplicate relay id "${entry.id}" (also relays[${first}].id); ids must be unique`,
        });
      } else {
        seen.set(entry.id, index);
      }
    }
    const platform = entry.platform;
    if (platform === "netlify" || platform === "vercel") problems.push(...streamLimitProblems(entry, index));
    if ((platform !== "netlify" && platform !== "vercel") || typeof entry.region !== "string") return;
    const table = relayRegions[platform];
    const info = table[entry.region];
    const allowed = allowedRegions(table).join(", ");
    if (!info) {
      problems.push({
        path: `relays[${index}].region`,
        message: `unknown ${platform} region "${entry.region}"; allowed: ${allowed}`,
      });
    } else if (info.refused) {
      problems.push({
        path: `relays[${index}].region`,
        message: `${platform} region "${entry.region}" (${info.location}) is refused: ${info.refused}. Allowed: ${allowed}`,
      });
    }
  });
  const placement = isRecord(input.worker) && isRecord(input.worker.placement) ? input.worker.placement.region : undefined;
  const refused = typeof placement === "string" ? refusedPlacementRegions[placement] : undefined;
  if (refused) {
    problems.push({
      path: "worker.placement.region",
      message: `placement region "${String(placement)}" (${refused.location}) is refused: ${refused.refused}. Use a region Gemini serves, e.g. gcp:us-east4 or aws:us-east-1`,
    });
  }
  const hint = isRecord(input.worker) ? input.worker.locationHint : undefined;
  const derived = typeof placement === "string" ? locationHintForPlacement(placement) : undefined;
  if (typeof hint === "string" && derived !== undefined && hint !== derived) {
    problems.push({
      path: "worker.locationHint",
      message: `"${hint}" is far from the placement region ${String(placement)} (next to it: "${derived}"); the Durable Object never moves once created and every worker call to it would cross that distance. Remove locationHint to derive it`,
    });
  }
  return problems;
}

/** A relay's `maxStreamSeconds` must not exceed what its platform allows. */
function streamLimitProblems(entry: Record<string, unknown>, index: number): ManifestProblem[] {
  const limit = entry.maxStreamSeconds;
  if (typeof limit !== "number") return [];
  const allowed =
    entry.platform === "netlify"
      ? relayPlatformFacts.netlify.maxStreamSeconds
      : typeof entry.maxDuration === "number" ? entry.maxDuration : relayPlatformFacts.vercel.maxStreamSeconds;
  if (limit <= allowed) return [];
  const why = entry.platform === "netlify" ? "Netlify cuts every function at its fixed 60 s synchronous limit" : "Vercel ends the function at maxDuration";
  return [{ path: `relays[${index}].maxStreamSeconds`, message: `${limit} is longer than the platform allows (${allowed} s): ${why}` }];
}

/** A validated manifest with defaults applied. */
export type Manifest = z.output<typeof manifestSchema>;
/** One relay of a manifest. */
export type RelaySpec = Manifest["relays"][number];
export type NetlifyRelaySpec = Extract<RelaySpec, { platform: "netlify" }>;
export type VercelRelaySpec = Extract<RelaySpec, { platform: "vercel" }>;

/** One problem found in a manifest: where (`relays[1].region`) and what. */
export interface ManifestProblem {
  path: string;
  message: string;
}

/** A manifest that cannot be used; `problems` name each field. */
export class ManifestError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly ManifestProblem[],
  ) {
    super(
      `Invalid manifest ${source}:\n` +
        problems.map((problem) => `  - ${problem.path || "(top level)"}: ${problem.message}`).join("\n"),
    );
    this.name = "ManifestError";
  }
}

/** Formats a zod issue path the way users write it: `relays[1].region`. */
export function formatFieldPath(segments: readonly PropertyKey[]): string {
  let text = "";
  for (const segment of segments) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text ? `.${String(segment)}` : String(segment);
  }
  return text;
}

function describeIssue(issue: z.core.$ZodIssue): ManifestProblem {
  const at = formatFieldPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    return { path: at, message: `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((key) => `"${key}"`).join(", ")}` };
  }
  if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) {
    return { path: at, message: `is required (${issue.expected})` };
  }
  return { path: at, message: issue.message };
}

/**
 * Validates a parsed manifest object. Throws ManifestError listing every problem with its field
 * path and the allowed values.
 */
export function parseManifest(input: unknown, source = "manifest"): Manifest {
  const result = manifestSchema.safeParse(input);
  const problems = [...(result.success ? [] : result.error.issues.map(describeIssue)), ...crossCheck(input)];
  if (problems.length > 0 || !result.success) {
    problems.sort((a, b) => a.path.localeCompare(b.path, "en", { numeric: true }));
    throw new ManifestError(source, problems);
  }
  return result.data;
}

/** The manifest path chosen by `--manifest`, else `GEMRELAY_MANIFEST`, else `deploy/manifest.yaml`. */
export function resolveManifestPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.GEMRELAY_MANIFEST ?? defaultManifestPath);
}

/** Reads and validates a YAML (or JSON) manifest file. */
export async function loadManifest(file: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ManifestError(file, [{ path: "", message: `cannot read file (${(error as Error).message})` }]);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    const detail = error instanceof YAMLParseError ? error.message.split("\n")[0] : String(error);
    throw new ManifestError(file, [{ path: "", message: `not valid YAML: ${detail}` }]);
  }
  return parseManifest(data, file);
}

/** The site or project name a relay deploys to. */
export function relayDeployName(manifest: Manifest, spec: RelaySpec): string {
  const explicit = spec.platform === "netlify" ? spec.site : spec.project;
  return explicit ?? `${manifest.name}-${spec.id}`;
}

/**
 * The Durable Object location hint the worker uses: the manifest's, else the one next to the
 * placement region, else none (Cloudflare places the object near its first caller).
 */
export function workerLocationHint(manifest: Manifest): LocationHint | undefined {
  const placement = manifest.worker.placement?.region;
  return manifest.worker.locationHint ?? (placement ? locationHintForPlacement(placement) : undefined);
}

/**
 * How long a streamed answer can last through a relay before its platform cuts it: the manifest's
 * `maxStreamSeconds`, else Netlify's fixed 60 s, else the Vercel relay's `maxDuration`.
 */
export function relayStreamLimitSeconds(spec: RelaySpec): number {
  if (spec.maxStreamSeconds !== undefined) return spec.maxStreamSeconds;
  return spec.platform === "netlify" ? relayPlatformFacts.netlify.maxStreamSeconds : spec.maxDuration;
}

/** The upstream a relay calls: its own override, else the manifest's. */
export function relayUpstream(manifest: Manifest, spec: RelaySpec): string {
  return spec.upstream ?? manifest.upstream;
}

/**
 * Reads the secret values a manifest names from an environment. Returns the values found and the
 * manifest fields whose variable is unset (e.g. `secrets.AUTH_KEY (GEMRELAY_AUTH_KEY)`).
 */
export function readSecrets(
  manifest: Manifest,
  env: Record<string, string | undefined>,
): { values: Partial<Record<SecretName, string>>; missing: string[] } {
  const values: Partial<Record<SecretName, string>> = {};
  const missing: string[] = [];
  for (const name of secretNames) {
    const variable = manifest.secrets[name];
    const value = env[variable];
    if (value !== undefined && value.trim() !== "") values[name] = value;
    else missing.push(`secrets.${name} (${variable})`);
  }
  return { values, missing };
}
