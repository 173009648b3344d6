import { z } from "zod";
import { readAdminConfig, type AdminConfig } from "../admin/config.ts";
import { readOpenAiConfig, type OpenAiConfig } from "../openai/config.ts";
import { readPolicyConfig, type PolicyConfig } from "../policy/config.ts";
import { readAlertConfig, type AlertConfig } from "../alerts/config.ts";
import { readResumePolicy } from "../resume/config.ts";
import type { ResumePolicy } from "../resume/policy.ts";
import type { CircuitPolicy } from "../routing/relay-health.ts";
import { strategyNames, type StrategyName } from "../routing/strategy.ts";
import { parseSubmittedKeys, type RejectedKey } from "../keys/validate.ts";
import { splitList } from "../secrets.ts";
import { affinityModes, type AffinityMode } from "../routing/affinity.ts";
import { parseProxyList, type ProxyTarget } from "../egress/proxy.ts";

import { presentVariables } from "./variables.ts";
import { defaultUpstream } from "./upstream.ts";

export { defaultUpstream };

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value && value.trim().length > 0 ? value.trim() : undefined));

/** The environment every deployable reads (DESIGN.md "Environment"); unknown names are ignored. */
export const environmentSchema = z.object({
  GEMINI_API_KEYS: optionalText,
  AUTH_KEY: optionalText,
  ADMIN_KEY: optionalText,
  HOME_ACCESS_KEY: optionalText,
  // Sent as a header value on every relay hop: a character no header can carry would fail each request.
  RELAY_TOKEN: optionalText.pipe(z.string().regex(/^[\x21-\x7e]+$/, { message: "RELAY_TOKEN must be printable ASCII without spaces (it is sent as a header value)" }).optional()),
  RELAY_URLS: optionalText,
  PROXY_URLS: optionalText,
  EGRESS_AFFINITY: z.enum(affinityModes).default("off"),
  GEMINI_UPSTREAM: optionalText.pipe(z.url({ message: "GEMINI_UPSTREAM must be an http(s) URL" }).optional()),
  ROUTING_KEY_STRATEGY: z.enum(strategyNames).default("round-robin"),
  ROUTING_RELAY_STRATEGY: z.enum(strategyNames).default("round-robin"),
  ROUTING_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  ROUTING_BUDGET_MS: z.coerce.number().int().min(1_000).default(60_000),
  ROUTING_STICKY: z.enum(["on", "off"]).default("off"),
  PASSTHROUGH: z.enum(["auth", "open", "off"]).default("auth"),
  RELAY_FAILURE_THRESHOLD: z.coerce.number().int().min(1).default(3),
  RELAY_OPEN_MS: z.coerce.number().int().min(0).default(30_000),
  RELAY_QUARANTINE_MS: z.coerce.number().int().min(0).default(600_000),
  POOL_REFRESH_MS: z.coerce.number().int().min(0).default(2_000),
  MAX_BODY_BYTES: z.coerce.number({ message: "MAX_BODY_BYTES must be a number of bytes" }).int().min(1_024).optional(),
  /** The OpenAI surface's own name for MAX_BODY_BYTES, from before the limit covered every path. */
  OPENAI_MAX_BODY_BYTES: z.coerce.number({ message: "OPENAI_MAX_BODY_BYTES must be a number of bytes" }).int().min(1_024).optional(),
});

/** Default largest request body: Gemini's own limit for inline data in one request is 20 MB. */
export const defaultMaxBodyBytes = 20 * 1024 * 1024;

/** How requests are spread and retried (manifest `routing`, env ROUTING_*). */
export interface RoutingPolicy {
  keyStrategy: StrategyName;
  relayStrategy: StrategyName;
  /** Upstream attempts per request before giving up. */
  maxAttempts: number;
  /** Wall time for all attempts before the first byte reaches the client. */
  budgetMs: number;
  /** Pick the same key for the same conversation start while it is healthy. */
  sticky: boolean;
}

/** Pass-through of client-held Gemini keys: `auth` needs x-relay-auth, `open` does not, `off` refuses. */
export type PassThroughMode = "auth" | "open" | "off";

/** A relay base URL with its share of traffic (`#weight=N` on a RELAY_URLS entry). */
export interface RelayTarget {
  url: string;
  weight: number;
  /** How long its platform lets an answer stream (`#maxStreamSeconds=N`); absent: no limit known. */
  maxStreamMs?: number;
}

/** Runtime configuration of the resume worker, derived once from the environment. */
export interface WorkerConfig {
  /** Pool keys given by the environment (seeded into the Store), each one well-formed (keys/validate.ts). */
  poolKeys: string[];
  /** GEMINI_API_KEYS entries refused as malformed, masked: logged at start, never used. */
  rejectedPoolKeys: RejectedKey[];
  /** Client access keys (AUTH_KEY). */
  accessKeys: string[];
  /** Admin credentials (ADMIN_KEY, or HOME_ACCESS_KEY as an alias). */
  adminKeys: string[];
  /** Shared secret on the worker→relay hop. */
  relayToken: string | undefined;
  /** Egress relays: base URL without trailing slash, and weight. */
  relays: RelayTarget[];
  /** Self-host egress proxies (PROXY_URLS): used instead of the direct connection when set. */
  proxies: ProxyTarget[];
  /** Key ↔ egress affinity (EGRESS_AFFINITY). */
  affinity: AffinityMode;
  routing: RoutingPolicy;
  circuit: CircuitPolicy;
  /** How long an isolate trusts its pool snapshot before refreshing it from the Store. */
  poolRefreshMs: number;
  passThrough: PassThroughMode;
  /** Largest request body gemrelay reads, on every path (MAX_BODY_BYTES); larger ones get a 413. */
  maxBodyBytes: number;
  /** Base URL the in-process egress calls. */
  upstream: string;
  /** The OpenAI-compatible routes (OPENAI_* variables). */
  openai: OpenAiConfig;
  /** Admin API, usage and access keys (ENCRYPTION_KEY, USAGE_*, …). */
  admin: AdminConfig;
  /** Resume of truncated answers (RESUME_* variables). */
  resume: ResumePolicy;
  /** Defaults of the model policy and budgets (MODEL_POLICY, BUDGETS); the Store's edited copies win. */
  policy: PolicyConfig;
  /** Alert webhook and thresholds (ALERT_*). */
  alerts: AlertConfig;
}

/**
 * Reads the environment into a WorkerConfig. Throws a zod error naming the variable when a value
 * is malformed (for example a RELAY_URLS entry that is not a URL).
 */
export function readWorkerConfig(environment: Record<string, unknown>): WorkerConfig {
  const env = environmentSchema.parse(presentVariables(environment, environmentSchema));
  const relays = splitList(env.RELAY_URLS).map((entry, index) => {
    const [url = "", fragment = ""] = entry.split("#");
    if (!z.url().safeParse(url).success) throw new Error(`RELAY_URLS[${index}] is not a URL`);
    const weight = Number(/(?:^|&)weight=(\d+(?:\.\d+)?)/.exec(fragment)?.[1] ?? 1);
    const streamSeconds = /(?:^|&)maxStreamSeconds=(\d+)/.exec(fragment)?.[1];
    return { url: url.replace(/\/+$/, ""), weight, ...(streamSeconds ? { maxStreamMs: Number(streamSeconds) * 1_000 } : {}) };
  });
  const pool = parseSubmittedKeys(env.GEMINI_API_KEYS ?? "");
  return {
    poolKeys: pool.keys,
    rejectedPoolKeys: pool.rejected,
    accessKeys: splitList(env.AUTH_KEY),
    adminKeys: splitList(env.ADMIN_KEY ?? env.HOME_ACCESS_KEY),
    relayToken: env.RELAY_TOKEN,
    relays,
    proxies: parseProxyList(splitList(env.PROXY_URLS)),
    affinity: env.EGRESS_AFFINITY,
    routing: {
      keyStrategy: env.ROUTING_KEY_STRATEGY,
      relayStrategy: env.ROUTING_RELAY_STRATEGY,
      maxAttempts: env.ROUTING_MAX_ATTEMPTS,
      budgetMs: env.ROUTING_BUDGET_MS,
      sticky: env.ROUTING_STICKY === "on",
    },
    circuit: { failureThreshold: env.RELAY_FAILURE_THRESHOLD, openMs: env.RELAY_OPEN_MS, quarantineMs: env.RELAY_QUARANTINE_MS },
    poolRefreshMs: env.POOL_REFRESH_MS,
    passThrough: env.PASSTHROUGH,
    maxBodyBytes: env.MAX_BODY_BYTES ?? env.OPENAI_MAX_BODY_BYTES ?? defaultMaxBodyBytes,
    upstream: (env.GEMINI_UPSTREAM ?? defaultUpstream).replace(/\/+$/, ""),
    openai: readOpenAiConfig(environment),
    admin: readAdminConfig(environment),
    resume: readResumePolicy(environment),
    policy: readPolicyConfig(environment),
    alerts: readAlertConfig(environment),
  };
}
