/**
 * Client access keys managed through the admin API: `sk-gr-…` secrets shown once, kept as SHA-256
 * hashes (the secrets carry 192 random bits, so a fast hash is enough: nothing to brute-force),
 * with a name, an optional expiry, a model allow-list and a per-minute request limit.
 */
import { z } from "zod";
import { generateSecret, maskSecret, sha256Hex } from "../secrets.ts";
import type { AccessKeyRecord } from "../store/records.ts";

/** Prefix of generated access keys, so they are recognisable in a client's settings. */
export const accessKeyPrefix = "sk-gr-";

/** Whether an access key authenticates now. */
export type AccessKeyState = "active" | "revoked" | "expired";

/** The state of `record` at `now`. */
export function accessKeyState(record: AccessKeyRecord, now: number): AccessKeyState {
  if (record.revokedAt !== null) return "revoked";
  if (record.expiresAt !== null && record.expiresAt <= now) return "expired";
  return "active";
}

/**
 * True when the allow-list admits `model`: an empty list admits every model, entries match
 * exactly or, ending in `*`, by prefix. Requests naming no model (`*`, e.g. listing models) pass.
 */
export function allowsModel(models: readonly string[], model: string): boolean {
  if (models.length === 0 || model === "*") return true;
  const bare = model.replace(/^models\//, "");
  return models.some((entry) => (entry.endsWith("*") ? bare.startsWith(entry.slice(0, -1)) : bare === entry));
}

const modelEntry = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]+\*?$|^\*$/, { message: "must be a model id such as gemini-2.5-flash, or a prefix ending in *" });

/** The body of `POST /api/access-keys`. */
export const newAccessKeySchema = z.object({
  name: z.string({ message: "name is required" }).trim().min(1, { message: "name must not be empty" }).max(100, { message: "name must have at most 100 characters" }),
  expiresAt: z
    .union([z.number().int().positive(), z.iso.datetime({ offset: true }), z.iso.date(), z.null()], {
      message: "expiresAt must be an ISO date, an ISO date-time or epoch milliseconds",
    })
    .optional(),
  models: z.array(modelEntry, { message: "models must be an array of model ids" }).max(100).optional(),
  requestsPerMinute: z
    .union([z.number().int().min(1).max(100_000), z.null()], { message: "requestsPerMinute must be a whole number from 1 to 100000, or null" })
    .optional(),
});

/** What an admin asks for when creating an access key. */
export type NewAccessKey = z.infer<typeof newAccessKeySchema>;

/** Epoch ms of an `expiresAt` value (a date alone means the end of that UTC day). */
function expiryOf(value: NewAccessKey["expiresAt"]): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "number") return value;
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T23:59:59.999Z`) : Date.parse(value);
}

/** Creates a key: the record to store and the secret to show once. */
export async function createAccessKey(input: NewAccessKey, now: number): Promise<{ record: AccessKeyRecord; secret: string }> {
  const secret = generateSecret(accessKeyPrefix);
  const hash = await sha256Hex(secret);
  const record: AccessKeyRecord = {
    id: hash.slice(0, 12),
    hash,
    name: input.name,
    hint: maskSecret(secret),
    createdAt: now,
    expiresAt: expiryOf(input.expiresAt),
    models: [...new Set(input.models ?? [])],
    requestsPerMinute: input.requestsPerMinute ?? null,
    revokedAt: null,
  };
  return { record, secret };
}

/** An access key as the admin API shows it: everything but the hash, plus its state. */
export function describeAccessKey(record: AccessKeyRecord, now: number): Omit<AccessKeyRecord, "hash"> & { state: AccessKeyState } {
  const { hash: _hash, ...shown } = record;
  return { ...shown, state: accessKeyState(record, now) };
}
