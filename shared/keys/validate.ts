/**
 * Checking pool keys an admin pastes in: trimmed, de-duplicated, and malformed ones named by
 * their position and masked form only, so an error never echoes a whole key back.
 */
import { maskSecret, splitList } from "../secrets.ts";

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
 * Splits (when given one text), trims and checks submitted keys. Entries are counted after
 * splitting, so `index` points at the line or array element the admin can find.
 */
export function parseSubmittedKeys(input: readonly string[] | string): ParsedKeys {
  const entries = typeof input === "string" ? input.split(/[\n,]/).filter((line) => splitList(line).length > 0) : [...input];
  const seen = new Set<string>();
  const parsed: ParsedKeys = { keys: [], duplicates: 0, rejected: [] };
  entries.forEach((entry, index) => {
    const key = entry.trim();
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
