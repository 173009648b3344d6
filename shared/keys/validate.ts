/**
 * Checking pool keys from every source (GEMINI_API_KEYS, keys.txt, the admin API): trimmed,
 * de-duplicated, and malformed ones named by their position and masked form only, so an error
 * or a log line never echoes a whole key back. A key that passes `keyProblem` is a valid HTTP
 * header value, so it can always be sent upstream.
 */
import { maskSecret } from "../secrets.ts";

/** Why a pasted key was refused. */
export interface RejectedKey {
  /** Position in the submitted list (0-based, after splitting a text list). */
  index: number;
  /** The value masked (`AIza…x9Q`). */
  key: string;
  reason: string;
}

/** The outcome of checking a submitted list. */
export interface ParsedKeys {
  /** Well-formed keys, trimmed, first occurrence only, in input order. */
  keys: string[];
  /** How many entries repeated an earlier one. */
  duplicates: number;
  rejected: RejectedKey[];
}

/** Google API keys are 39 characters of this alphabet; accept some room for other formats. */
const keyAlphabet = /^[A-Za-z0-9_.-]+$/;
const minimumLength = 30;
const maximumLength = 128;

/** Why `key` cannot be a Gemini API key, or null when it looks like one. */
export function keyProblem(key: string): string | null {
  if (key.length === 0) return "empty";
  if (/\s/.test(key)) return "contains whitespace";
  if (!keyAlphabet.test(key)) return "contains characters an API key never has (quotes, commas, slashes, …)";
  if (key.length < minimumLength) return `too short (${key.length} characters; Gemini keys have 39)`;
  if (key.length > maximumLength) return `too long (${key.length} characters; Gemini keys have 39)`;
  return null;
}

/**
 * Space and invisible characters a copy and paste leaves around a key (CR of a CRLF file, a BOM,
 * zero-width spaces): never part of a key, so removing them at the ends is safe. Inside a key they
 * are refused, never removed: the key would not be the one Google issued.
 */
const padding = /^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$/g;

/** `entry` without the padding a copy and paste leaves around a key. */
export function trimKey(entry: string): string {
  return entry.replace(padding, "");
}

/**
 * Splits (when given one text), trims and checks submitted keys. Entries are counted after
 * splitting, so `index` points at the line or array element the admin can find.
 */
export function parseSubmittedKeys(input: readonly string[] | string): ParsedKeys {
  const entries = typeof input === "string" ? input.split(/[\n,]/).filter((line) => trimKey(line).length > 0 && !trimKey(line).startsWith("#")) : [...input];
  const seen = new Set<string>();
  const parsed: ParsedKeys = { keys: [], duplicates: 0, rejected: [] };
  entries.forEach((entry, index) => {
    const key = trimKey(entry);
    const problem = keyProblem(key);
    if (problem !== null) {
      parsed.rejected.push({ index, key: maskSecret(key), reason: problem });
    } else if (seen.has(key)) {
      parsed.duplicates += 1;
    } else {
      seen.add(key);
      parsed.keys.push(key);
    }
  });
  return parsed;
}

/**
 * Log entries for the keys a configured source held and gemrelay refused (one per key, masked),
 * written at start so that the operator sees why a key is not in the pool.
 */
export function rejectedKeyEntries(source: string, rejected: readonly RejectedKey[]): Record<string, unknown>[] {
  return rejected.map((entry) => ({ level: "warn", event: "keys.rejected", source, entry: entry.index + 1, key: entry.key, reason: entry.reason }));
}
