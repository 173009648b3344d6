/**
 * The resume policy from the environment (RESUME_*, the manifest's `resume` block maps onto
 * these), and per-request overrides from `x-gemrelay-*` headers.
 */
import { z } from "zod";
import { presentVariables } from "../config/variables.ts";
import { BadRequestError } from "../errors.ts";
import { splitList } from "../secrets.ts";
import { continuationModes, defaultResumePolicy, type ContinuationMode, type ResumePolicy } from "./policy.ts";

const milliseconds = (name: string, minimum: number, fallback: number) =>
  z.coerce.number({ message: `${name} must be a number of milliseconds` }).int().min(minimum, { message: `${name} must be at least ${minimum}` }).default(fallback);

const modeSchema = z.enum(continuationModes as [ContinuationMode, ...ContinuationMode[]]);
const switchSchema = z.enum(["on", "off"]);

const environmentSchema = z.object({
  RESUME_MAX_CONTINUATIONS: z.coerce
    .number({ message: "RESUME_MAX_CONTINUATIONS must be a number" })
    .int()
    .min(0)
    .max(20, { message: "RESUME_MAX_CONTINUATIONS must be at most 20" })
    .default(defaultResumePolicy.maxContinuations),
  RESUME_BUDGET_MS: milliseconds("RESUME_BUDGET_MS", 1_000, defaultResumePolicy.budgetMs),
  RESUME_FIRST_BYTE_TIMEOUT_MS: milliseconds("RESUME_FIRST_BYTE_TIMEOUT_MS", 100, defaultResumePolicy.firstByteTimeoutMs),
  RESUME_CHUNK_TIMEOUT_MS: milliseconds("RESUME_CHUNK_TIMEOUT_MS", 100, defaultResumePolicy.chunkTimeoutMs),
  RESUME_HEARTBEAT_MS: milliseconds("RESUME_HEARTBEAT_MS", 0, defaultResumePolicy.heartbeatMs),
  RESUME_MODE: modeSchema.default(defaultResumePolicy.mode),
  RESUME_CONTINUE_ON: z
    .string()
    .regex(/^[A-Za-z_,\s]+$/, { message: "RESUME_CONTINUE_ON must list finish reasons, e.g. OTHER,RECITATION (or NONE)" })
    .optional(),
  RESUME_SENTINEL: switchSchema.default(defaultResumePolicy.sentinel ? "on" : "off"),
  RESUME_SENTINEL_ATTEMPTS: z.coerce.number({ message: "RESUME_SENTINEL_ATTEMPTS must be a number" }).int().min(1).max(20).default(defaultResumePolicy.sentinelAttempts),
});

/** Reads the resume policy; throws naming the variable when one is malformed. */
export function readResumePolicy(environment: Record<string, unknown>): ResumePolicy {
  const env = environmentSchema.parse(presentVariables(environment, environmentSchema));
  const reasons = env.RESUME_CONTINUE_ON === undefined ? defaultResumePolicy.continueOn : splitList(env.RESUME_CONTINUE_ON).map((reason) => reason.toUpperCase());
  return {
    maxContinuations: env.RESUME_MAX_CONTINUATIONS,
    budgetMs: env.RESUME_BUDGET_MS,
    firstByteTimeoutMs: env.RESUME_FIRST_BYTE_TIMEOUT_MS,
    chunkTimeoutMs: env.RESUME_CHUNK_TIMEOUT_MS,
    heartbeatMs: env.RESUME_HEARTBEAT_MS,
    mode: env.RESUME_MODE,
    continueOn: reasons.filter((reason) => reason !== "NONE"),
    sentinel: env.RESUME_SENTINEL === "on",
    sentinelAttempts: env.RESUME_SENTINEL_ATTEMPTS,
  };
}

/** Request headers that narrow the policy for one request. */
export const resumeHeaders = {
  /** `off` turns resume off for this request (`on` keeps the configured budget). */
  resume: "x-gemrelay-resume",
  /** `prefill` or `user-turn`. */
  mode: "x-gemrelay-resume-mode",
  /** `on` or `off`: sentinel mode for this request. */
  sentinel: "x-gemrelay-sentinel",
} as const;

/** A header's value read with `schema`; undefined when absent, a 400 naming the header when not understood. */
function headerValue<T extends string>(headers: Headers, name: string, schema: z.ZodType<T>, expected: string): T | undefined {
  const value = headers.get(name);
  if (value === null) return undefined;
  const parsed = schema.safeParse(value.trim().toLowerCase());
  if (!parsed.success) throw new BadRequestError(`Header ${name} must be ${expected}, got "${value}".`);
  return parsed.data;
}

/** This request's overrides of the policy, from its `x-gemrelay-*` headers. */
export function resumeOverrides(headers: Headers): Partial<ResumePolicy> {
  const overrides: Partial<ResumePolicy> = {};
  if (headerValue(headers, resumeHeaders.resume, switchSchema, "on or off") === "off") overrides.maxContinuations = 0;
  const mode = headerValue(headers, resumeHeaders.mode, modeSchema, "prefill or user-turn");
  if (mode !== undefined) overrides.mode = mode;
  const sentinel = headerValue(headers, resumeHeaders.sentinel, switchSchema, "on or off");
  if (sentinel !== undefined) overrides.sentinel = sentinel === "on";
  return overrides;
}
