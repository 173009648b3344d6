/** Secret handling: constant-time comparison, masking for output, generation. */

const encoder = new TextEncoder();

/**
 * Compares two secrets in time that depends only on their lengths, never on where they differ,
 * so a client cannot learn a secret byte by byte from response timing.
 */
export function secretEquals(presented: string, expected: string): boolean {
  const a = encoder.encode(presented);
  const b = encoder.encode(expected);
  let difference = a.length ^ b.length;
  for (let index = 0; index < b.length; index++) {
    difference |= (a[index % Math.max(a.length, 1)] ?? 0) ^ (b[index] ?? 0);
  }
  return difference === 0;
}

/** True when `presented` equals one of `candidates`; every candidate is compared (no early exit). */
export function secretMatchesAny(presented: string, candidates: readonly string[]): boolean {
  let found = false;
  for (const candidate of candidates) found = secretEquals(presented, candidate) || found;
  return found;
}

/** Masks a secret for logs, UIs and error bodies: `AIzaSyA…x9Q`-style, never the whole value. */
export function maskSecret(secret: string): string {
  if (secret.length <= 8) return "…";
  return `${secret.slice(0, 4)}…${secret.slice(-3)}`;
}

/**
 * Free text (an exception's message) with what may be a credential masked: quoted values of 24 or
 * more characters without spaces (runtimes quote the value they refuse, `Headers.set: "AIza…" is
 * an invalid header value`) and anything shaped like a Google API key. For logs; a client never
 * gets an exception's text at all.
 */
export function maskSecretsIn(text: string): string {
  return text
    .replace(/(["'`])([^"'` ]{24,})\1/g, (_match, quote: string, value: string) => `${quote}${maskSecret(value)}${quote}`)
    .replace(/AIza[^\s"'`,;]{8,}/g, (value) => maskSecret(value));
}

/** A strong random secret (192 bits, base64url) with a readable prefix, e.g. `sk-…`. */
export function generateSecret(prefix: string): string {
  return prefix + base64url(crypto.getRandomValues(new Uint8Array(24)));
}

/** Splits a comma- or newline-separated list, trimming blanks and `#` comments, de-duplicated. */
export function splitList(value: string | undefined | null): string[] {
  if (!value) return [];
  const items = value
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0 && !item.startsWith("#"));
  return [...new Set(items)];
}

/** Bytes as base64url without padding (URL- and cookie-safe). */
export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The bytes of a base64url string; throws on characters outside the alphabet. */
export function fromBase64url(value: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) throw new TypeError("not base64url");
  const binary = atob(value.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (value.length % 4)) % 4));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}

/** SHA-256 of a text as lowercase hex. */
export async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
