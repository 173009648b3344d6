/**
 * Pool keys at rest under ENCRYPTION_KEY: AES-256-GCM through Web Crypto. The IV is an HMAC of
 * the key (a synthetic IV), so sealing is deterministic: the same key always gives the same
 * stored text, which lets the Store keep using it as the row's identity (uniqueness, cooldowns,
 * outcomes) without ever holding the key in clear. An IV repeats only for the same key, which
 * reveals nothing the identity does not already reveal.
 */
import { base64url, fromBase64url } from "../secrets.ts";

/** Prefix of sealed keys in the Store; version 1 of the format below. */
export const sealedPrefix = "enc1.";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Binds ciphertexts to their purpose, so one could not be replayed as another kind of secret. */
const associatedData = encoder.encode("gemrelay pool key");

/** True when a stored key is in the sealed format (whatever ENCRYPTION_KEY sealed it). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(sealedPrefix);
}

/** Seals and opens pool keys with keys derived from one ENCRYPTION_KEY. */
export class KeySealer {
  private constructor(
    private readonly cipherKey: CryptoKey,
    private readonly ivKey: CryptoKey,
  ) {}

  /** Derives the AES and HMAC keys from ENCRYPTION_KEY with HKDF-SHA-256 (one label each). */
  static async fromSecret(secret: string): Promise<KeySealer> {
    const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
    const derive = (label: string, algorithm: AesKeyGenParams | HmacImportParams, usages: KeyUsage[]) =>
      crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: encoder.encode("gemrelay"), info: encoder.encode(label) },
        material,
        algorithm,
        false,
        usages,
      );
    return new KeySealer(
      await derive("pool-key aes-gcm", { name: "AES-GCM", length: 256 }, ["encrypt", "decrypt"]),
      await derive("pool-key iv", { name: "HMAC", hash: "SHA-256", length: 256 }, ["sign"]),
    );
  }

  /** The stored form of `key`: `enc1.<iv>.<ciphertext+tag>`, base64url. */
  async seal(key: string): Promise<string> {
    const plain = encoder.encode(key);
    const iv = new Uint8Array(await crypto.subtle.sign("HMAC", this.ivKey, plain)).slice(0, 12);
    const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: associatedData }, this.cipherKey, plain));
    return `${sealedPrefix}${base64url(iv)}.${base64url(sealed)}`;
  }

  /** The key inside a stored form; throws when it was sealed with another ENCRYPTION_KEY or altered. */
  async open(stored: string): Promise<string> {
    const [iv = "", sealed = "", ...rest] = stored.slice(sealedPrefix.length).split(".");
    if (!isSealed(stored) || rest.length > 0) throw new TypeError("not a sealed pool key");
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64url(iv), additionalData: associatedData },
      this.cipherKey,
      fromBase64url(sealed),
    );
    return decoder.decode(plain);
  }
}
