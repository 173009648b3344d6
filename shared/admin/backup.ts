/**
 * The whole state as one versioned JSON document (GET /api/backup, POST /api/restore, `npx
 * gemrelay backup|restore`): pool keys (encrypted with a passphrase, masked, or in clear, by
 * choice) with their status and metadata, access-key hashes, the policy documents, usage rows.
 * The same document restores on any platform (self-host ⇄ worker).
 */
import { z } from "zod";
import type { AppContext } from "../app.ts";
import { BadRequestError } from "../errors.ts";
import { poolKeyId } from "../keys/identity.ts";
import { KeySealer } from "../keys/sealing.ts";
import { backupKdfSchema, newBackupKdf, passphraseSealer } from "./backup-kdf.ts";
import { policySettingNames } from "../policy/policies.ts";
import { maskSecret } from "../secrets.ts";
import { utcDay } from "../store/records.ts";

/** Format name and version of the document (2: passphrase through PBKDF2 with a random salt; 1 is still read). */
export const backupFormat = "gemrelay-backup";
export const backupVersion = 2;

/** How pool keys are written: `encrypted` needs a passphrase, `masked` cannot be restored. */
export const keyModes = ["encrypted", "masked", "plain"] as const;
export type KeyMode = (typeof keyModes)[number];

const backupKeySchema = z.object({
  id: z.string(),
  masked: z.string(),
  /** Clear key (`plain`), `enc1.…` (`encrypted`), absent (`masked`). */
  key: z.string().optional(),
  status: z.enum(["active", "disabled"]),
  statusReason: z.string().nullable(),
  addedAt: z.number(),
});

const accessKeySchema = z.object({
  id: z.string(),
  hash: z.string(),
  name: z.string(),
  hint: z.string(),
  createdAt: z.number(),
  expiresAt: z.number().nullable(),
  models: z.array(z.string()),
  requestsPerMinute: z.number().nullable(),
  revokedAt: z.number().nullable(),
});

const usageRowSchema = z.object({
  day: z.string(),
  accessKey: z.string(),
  poolKey: z.string(),
  model: z.string(),
  requests: z.number(),
  errors: z.number(),
  promptTokens: z.number(),
  /** Absent from backups taken before usage recorded cached tokens: read as 0. */
  cachedTokens: z.number().default(0),
  completionTokens: z.number(),
  thoughtTokens: z.number(),
  resumes: z.number(),
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
 */
export async function restoreBackup(context: AppContext, backup: Backup, passphrase?: string, includeUsage = true): Promise<RestoreReport> {
  const sealer = backup.keyMode === "encrypted" ? await restoreSealer(backup, passphrase) : null;
  const restorable = backup.keys.filter((entry) => entry.key !== undefined);
  const clear = await Promise.all(
    restorable.map(async (entry) => {
      try {
        return { ...entry, key: sealer ? await sealer.open(entry.key ?? "") : (entry.key ?? "") };
      } catch {
        throw new BadRequestError(`keys[${backup.keys.indexOf(entry)}]: cannot decrypt; check x-backup-passphrase.`);
      }
    }),
  );
  const now = context.clock();
  const added = await context.store.addKeys(clear.map((entry) => entry.key), now);
  const disabled = clear.filter((entry) => entry.status === "disabled" && added.includes(entry.key));
  for (const entry of disabled) await context.store.setKeyStatus(entry.key, "disabled", entry.statusReason);
  let accessKeysAdded = 0;
  for (const record of backup.accessKeys) if (await context.store.addAccessKey(record)) accessKeysAdded += 1;
  const settings = Object.keys(backup.settings).filter((name) => backedUpSettings.includes(name));
  for (const name of settings) await context.store.setSetting(name, backup.settings[name] ?? "");
  if (includeUsage && backup.usage.length > 0) await context.store.recordUsage({ daily: backup.usage, requests: [] });
  return { keysAdded: added.length, keysSkipped: backup.keys.length - added.length, accessKeysAdded, settings, usageRows: includeUsage ? backup.usage.length : 0 };
}
