/**
 * The whole state as one versioned JSON document (GET /api/backup, POST /api/restore, `npx
 * gemrelay backup|restore`): pool keys (encrypted with a passphrase, masked, or in clear, by
 * choice) with their status and metadata, access-key hashes, the policy documents, usage rows.
 * The same document restores on any platform (self-host ⇄ worker).
 */
import { z } from "zod";
import type { AppContext } from "../app.ts";
import { BadRequestError } from "../errors.ts";
import { newAccessKeySchema } from "../access/access-keys.ts";
import { isPoolKeyId, poolKeyId } from "../keys/identity.ts";
import { KeySealer } from "../keys/sealing.ts";
import { backupKdfSchema, newBackupKdf, passphraseSealer } from "./backup-kdf.ts";
import { policySettingNames } from "../policy/policies.ts";
import { maskSecret } from "../secrets.ts";
import { utcDay } from "../store/records.ts";
import { applyRestore } from "./restore.ts";

/** Format name and version of the document (2: passphrase through PBKDF2 with a random salt; 1 is still read). */
export const backupFormat = "gemrelay-backup";
export const backupVersion = 2;

/** How pool keys are written: `encrypted` needs a passphrase, `masked` cannot be restored. */
export const keyModes = ["encrypted", "masked", "plain"] as const;
export type KeyMode = (typeof keyModes)[number];

/** Epoch milliseconds, as every timestamp gemrelay stores. */
const instant = z.number({ message: "must be a number" }).int({ message: "must be a whole number of milliseconds" }).min(0, { message: "must be 0 or more" }).max(Number.MAX_SAFE_INTEGER);
/** One line of readable text: what a stored label may hold (no control characters, bounded). */
const label = (max: number) => z.string().max(max, { message: `must have at most ${max} characters` }).regex(/^[^\p{Cc}]*$/u, { message: "must not contain control characters" });

// Restored values meet the rules of the API that writes them; restore.ts checks what spans fields.
const backupKeySchema = z.strictObject({
  id: z.string().refine(isPoolKeyId, { message: "must be a pool key id (16 hex digits)" }),
  masked: label(64),
  /** Clear key (`plain`), `enc1.…` (`encrypted`), absent (`masked`). */
  key: z.string().max(4_096).optional(),
  status: z.enum(["active", "disabled"]),
  statusReason: label(500).nullable(),
  addedAt: instant,
});

const accessKeySchema = z.strictObject({
  /** Checked against `hash` by restore.ts: the id is the hash's first 12 digits, as the API makes it. */
  id: z.string().regex(/^[0-9a-f]{12}$/, { message: "must be an access key id (12 hex digits)" }),
  hash: z.string().regex(/^[0-9a-f]{64}$/, { message: "must be a SHA-256 in hex" }),
  name: newAccessKeySchema.shape.name,
  hint: label(40),
  createdAt: instant,
  expiresAt: z.union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER), z.null()], { message: "must be epoch milliseconds or null" }),
  models: newAccessKeySchema.shape.models.unwrap(),
  requestsPerMinute: newAccessKeySchema.shape.requestsPerMinute.unwrap(),
  revokedAt: instant.nullable(),
});

/** A usage counter: what the recorder writes, a whole number of 0 or more. */
const counter = z.number({ message: "must be a number" }).int({ message: "must be a whole number" }).min(0, { message: "must be 0 or more" }).max(Number.MAX_SAFE_INTEGER);

const usageRowSchema = z.strictObject({
  day: z.iso.date({ message: "must be a day (YYYY-MM-DD)" }),
  /** `env`, `pass-through`, an access key id, or empty (no client identified). */
  accessKey: z.string().regex(/^[a-z0-9-]{0,64}$/, { message: "must be an access key id, env or pass-through" }),
  poolKey: z.string().refine((value) => value === "" || isPoolKeyId(value), { message: "must be a pool key id or empty" }),
  model: z.string().regex(/^(\*|[A-Za-z0-9][A-Za-z0-9._-]{0,127})$/, { message: "must be a model id" }),
  requests: counter,
  errors: counter,
  promptTokens: counter,
  /** Absent from backups taken before usage recorded cached tokens: read as 0. */
  cachedTokens: counter.default(0),
  completionTokens: counter,
  thoughtTokens: counter,
  resumes: counter,
});

/** The backup document, as validated on restore. */
export const backupSchema = z.object({
  format: z.literal(backupFormat, { message: `format must be ${backupFormat}` }),
  version: z.union([z.literal(1), z.literal(backupVersion)], { message: `version must be 1 or ${backupVersion}` }),
  /** How the passphrase became the key of `encrypted` keys (version 2); version 1 used a fixed HKDF. */
  kdf: backupKdfSchema.optional(),
  createdAt: z.number(),
  platform: z.string(),
  keyMode: z.enum(keyModes),
  keys: z.array(backupKeySchema),
  accessKeys: z.array(accessKeySchema),
  /** Setting name → stored document text; absent names use the target's defaults. */
  settings: z.record(z.string(), z.string()),
  usage: z.array(usageRowSchema),
});
export type Backup = z.infer<typeof backupSchema>;

/** The settings a backup carries. */
const backedUpSettings: readonly string[] = Object.values(policySettingNames);

/** How far back usage is exported. */
const usageDays = 3_650;

function checkedPassphrase(passphrase: string | undefined): string {
  if (passphrase === undefined || passphrase.length < 12) throw new BadRequestError("x-backup-passphrase: encrypted keys need a passphrase of at least 12 characters.");
  return passphrase;
}

/** The sealer of a backup being restored: version 1's fixed HKDF, or the KDF the backup names. */
async function restoreSealer(backup: Backup, passphrase: string | undefined): Promise<KeySealer> {
  const checked = checkedPassphrase(passphrase);
  if (backup.version === 1) return KeySealer.fromSecret(checked);
  if (backup.kdf === undefined) throw new BadRequestError("kdf: an encrypted version-2 backup names its key derivation.");
  return passphraseSealer(checked, backup.kdf);
}

/** Builds the backup of `context`'s Store. */
export async function createBackup(context: AppContext, keyMode: KeyMode, passphrase?: string): Promise<Backup> {
  const kdf = keyMode === "encrypted" ? newBackupKdf() : null;
  const sealer = kdf ? await passphraseSealer(checkedPassphrase(passphrase), kdf) : null;
  const now = context.clock();
  const settings: Record<string, string> = {};
  for (const name of backedUpSettings) {
    const text = await context.store.getSetting(name);
    if (text !== null && text !== "") settings[name] = text;
  }
  return {
    format: backupFormat,
    version: backupVersion,
    createdAt: now,
    platform: context.admin.platform,
    keyMode,
    ...(kdf ? { kdf } : {}),
    keys: await Promise.all(
      (await context.store.listKeys()).map(async (entry) => ({
        id: await poolKeyId(entry.key),
        masked: maskSecret(entry.key),
        ...(keyMode === "plain" ? { key: entry.key } : sealer ? { key: await sealer.seal(entry.key) } : {}),
        status: entry.status,
        statusReason: entry.statusReason,
        addedAt: entry.addedAt,
      })),
    ),
    accessKeys: await context.store.listAccessKeys(),
    settings,
    usage: await context.store.listUsage(utcDay(now - usageDays * 86_400_000), utcDay(now)),
  };
}

/** What a restore did. */
export interface RestoreReport {
  keysAdded: number;
  keysSkipped: number;
  accessKeysAdded: number;
  settings: string[];
  usageRows: number;
}

/**
 * Merges `backup` into the Store: adds missing keys (with their status) and access keys, replaces
 * the policy documents, adds usage rows (restoring the same backup twice counts its usage twice).
 * Everything is checked first and written in one transaction (restore.ts): all of it or nothing.
 */
export async function restoreBackup(context: AppContext, backup: Backup, passphrase?: string, includeUsage = true): Promise<RestoreReport> {
  const sealer = backup.keyMode === "encrypted" ? await restoreSealer(backup, passphrase) : null;
  const clear = await Promise.all(
    backup.keys.flatMap((entry, index) => (entry.key === undefined ? [] : [{ index, stored: entry.key }])).map(async ({ index, stored }) => {
      try {
        return { index, key: sealer ? await sealer.open(stored) : stored };
      } catch {
        throw new BadRequestError(`keys[${index}]: cannot decrypt; check x-backup-passphrase.`);
      }
    }),
  );
  return applyRestore(context, backup, clear, includeUsage);
}
