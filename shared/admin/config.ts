/**
 * Settings of the admin side, read from the same environment as the rest of the worker:
 * encryption of pool keys at rest, usage retention and batching, access key refresh, key checks.
 */
import { z } from "zod";
import { presentVariables } from "../config/variables.ts";

/** How the admin API, usage recording and access keys behave. */
export interface AdminConfig {
  /** Seals pool keys in the Store with AES-GCM when set (ENCRYPTION_KEY). */
  encryptionKey: string | undefined;
  /** Days of daily usage kept (USAGE_RETENTION_DAYS); the request log is kept no longer. */
  usageRetentionDays: number;
  /** Newest request log entries kept (REQUEST_LOG_LIMIT). */
  requestLogLimit: number;
  /** How long usage is gathered in an isolate before one background write (USAGE_FLUSH_MS). */
  usageFlushMs: number;
  /** How long an isolate trusts its copy of the access keys (ACCESS_KEY_REFRESH_MS): the revocation delay elsewhere. */
  accessKeyRefreshMs: number;
  /** Model of the one-token request that checks a key (KEY_CHECK_MODEL). */
  keyCheckModel: string;
  /** Lifetime of a console session (ADMIN_SESSION_HOURS). */
  sessionHours: number;
}

const environmentSchema = z.object({
  ENCRYPTION_KEY: z.string().min(16, { message: "ENCRYPTION_KEY must have at least 16 characters (use 32 random bytes, base64)" }).optional(),
  USAGE_RETENTION_DAYS: z.coerce.number({ message: "USAGE_RETENTION_DAYS must be a number of days" }).int().min(1).max(3_650).default(30),
  REQUEST_LOG_LIMIT: z.coerce.number({ message: "REQUEST_LOG_LIMIT must be a number of entries" }).int().min(0).max(100_000).default(1_000),
  USAGE_FLUSH_MS: z.coerce.number({ message: "USAGE_FLUSH_MS must be milliseconds" }).int().min(0).max(25_000).default(1_000),
  ACCESS_KEY_REFRESH_MS: z.coerce.number({ message: "ACCESS_KEY_REFRESH_MS must be milliseconds" }).int().min(0).max(300_000).default(3_000),
  KEY_CHECK_MODEL: z.string().regex(/^[A-Za-z0-9._-]+$/, { message: "KEY_CHECK_MODEL must be a model id such as gemini-2.5-flash" }).default("gemini-2.5-flash"),
  ADMIN_SESSION_HOURS: z.coerce.number({ message: "ADMIN_SESSION_HOURS must be a number of hours" }).min(0.1).max(24 * 30).default(12),
});

/** Reads the admin settings; throws naming the variable when one is malformed. */
export function readAdminConfig(environment: Record<string, unknown>): AdminConfig {
  const env = environmentSchema.parse(presentVariables(environment, environmentSchema));
  return {
    encryptionKey: env.ENCRYPTION_KEY,
    usageRetentionDays: env.USAGE_RETENTION_DAYS,
    requestLogLimit: env.REQUEST_LOG_LIMIT,
    usageFlushMs: env.USAGE_FLUSH_MS,
    accessKeyRefreshMs: env.ACCESS_KEY_REFRESH_MS,
    keyCheckModel: env.KEY_CHECK_MODEL,
    sessionHours: env.ADMIN_SESSION_HOURS,
  };
}
