/**
 * The key of a backup's encrypted pool keys, from the admin's passphrase: PBKDF2-HMAC-SHA-256
 * (Web Crypto, the same on Node and workerd) with a random 16-byte salt and 600,000 iterations
 * (OWASP's 2023 figure for PBKDF2-SHA-256), both stored in the backup, so each guess at a stolen
 * backup's passphrase costs 600,000 HMACs and no table of guesses serves two backups.
 *
 * Workers refuse more than 100,000 iterations in one PBKDF2 call
 * (https://github.com/cloudflare/workerd/issues/1346), so the iterations run as a chain of
 * 100,000-iteration links: each link's 32 bytes are the next link's password, same salt. A guess
 * still costs every iteration, one after the other. The result keys a KeySealer (AES-256-GCM).
 */
import { z } from "zod";
import { BadRequestError } from "../errors.ts";
import { KeySealer } from "../keys/sealing.ts";
import { base64url, fromBase64url } from "../secrets.ts";

/** Iterations of one PBKDF2 call (the most Workers allow). */
const linkIterations = 100_000;
/** Iterations of new backups. */
export const backupKdfIterations = 600_000;
/** Most iterations a restored backup may ask for: a crafted file must not buy minutes of CPU. */
const maximumIterations = 5_000_000;
const saltBytes = 16;

/** The `kdf` field of a version-2 backup. */
export const backupKdfSchema = z.object({
  name: z.literal("PBKDF2-SHA-256", { message: "kdf.name must be PBKDF2-SHA-256" }),
  /** Total iterations, run in links of `linkIterations`. */
  iterations: z
    .number({ message: "kdf.iterations must be a number" })
    .int()
    .min(linkIterations, { message: `kdf.iterations must be at least ${linkIterations}` })
    .max(maximumIterations, { message: `kdf.iterations must be at most ${maximumIterations}` })
    .multipleOf(linkIterations, { message: `kdf.iterations must be a multiple of ${linkIterations}` }),
  link: z.literal(linkIterations, { message: `kdf.link must be ${linkIterations}` }),
  /** base64url of the random salt. */
  salt: z.string().regex(/^[\w-]{22,128}$/, { message: "kdf.salt must be base64url of at least 16 bytes" }),
});
export type BackupKdf = z.infer<typeof backupKdfSchema>;

/** The KDF parameters of a new backup: a fresh random salt. */
export function newBackupKdf(): BackupKdf {
  return { name: "PBKDF2-SHA-256", iterations: backupKdfIterations, link: linkIterations, salt: base64url(crypto.getRandomValues(new Uint8Array(saltBytes))) };
}

/** The sealer for `passphrase` under `kdf` (about a third of a second of CPU at 600,000 iterations). */
export async function passphraseSealer(passphrase: string, kdf: BackupKdf): Promise<KeySealer> {
  let salt: Uint8Array<ArrayBuffer>;
  try {
    salt = fromBase64url(kdf.salt);
  } catch {
    throw new BadRequestError("kdf.salt is not base64url.");
  }
  let password: Uint8Array<ArrayBuffer> = new TextEncoder().encode(passphrase);
  for (let done = 0; done < kdf.iterations; done += linkIterations) {
    const material = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
    password = new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: linkIterations }, material, 256));
  }
  // The derived bits are a uniformly random key already; KeySealer's HKDF splits them into its two keys.
  return KeySealer.fromSecret(base64url(password));
}
