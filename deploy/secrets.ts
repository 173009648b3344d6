/**
 * Secret values during `gemrelay deploy`: which ones a deploy needs (checked before anything is
 * built), redaction of everything a platform CLI prints, and short-lived files that carry secrets
 * to a CLI instead of its command line (argv is visible to every local user in `ps` and lands in
 * shell histories and CI logs).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseSubmittedKeys } from "../shared/keys/validate.ts";
import { splitList } from "../shared/secrets.ts";
import { type Manifest, ManifestError, type SecretName } from "./manifest.ts";

/** What each secret is for, in the message about a missing one. */
const purposes: Record<SecretName, string> = {
  RELAY_TOKEN: "the hop secret between the worker and the relays",
  AUTH_KEY: "client access keys of the worker",
  ADMIN_KEY: "the worker's admin credential",
  GEMINI_API_KEYS: "the worker's pool of Gemini keys",
};

/**
 * The values of `needed` secrets, read from the variables the manifest names. Throws
 * ManifestError naming each missing field and its variable, e.g.
 * `secrets.AUTH_KEY: environment variable GEMRELAY_AUTH_KEY is not set (client access keys …)`.
 */
export function requireSecrets(
  manifest: Manifest,
  env: Record<string, string | undefined>,
  needed: readonly SecretName[],
  source: string,
): Partial<Record<SecretName, string>> {
  const values: Partial<Record<SecretName, string>> = {};
  const problems = [];
  for (const name of needed) {
    const variable = manifest.secrets[name];
    const value = env[variable]?.trim();
    if (!value) {
      problems.push({ path: `secrets.${name}`, message: `environment variable ${variable} is not set (${purposes[name]}); export it before deploying` });
      continue;
    }
    values[name] = value;
    // What the worker would refuse at start (shared/keys/validate.ts, config/env.ts), refused here first.
    if (name === "GEMINI_API_KEYS") {
      for (const rejected of parseSubmittedKeys(value).rejected) {
        problems.push({ path: `secrets.${name}`, message: `entry ${rejected.index + 1} of ${variable} (${rejected.key}) is not a Gemini API key: ${rejected.reason}` });
      }
    }
    if (name === "RELAY_TOKEN" && !/^[\x21-\x7e]+$/.test(value)) {
      problems.push({ path: `secrets.${name}`, message: `${variable} must be printable ASCII without spaces (it is sent as a header value)` });
    }
  }
  if (problems.length > 0) throw new ManifestError(source, problems);
  return values;
}

/** Shortest secret fragment that is redacted on its own (shorter ones would blank common words). */
const shortestFragment = 6;

/** Replaces every known secret value in text with `***`. */
export class Redactor {
  readonly #fragments: string[];

  /** `values`: whole secret values; list-valued ones (keys, access keys) are also redacted item by item. */
  constructor(values: Iterable<string>) {
    const fragments = new Set<string>();
    for (const value of values) {
      for (const fragment of [value, ...splitList(value)]) {
        if (fragment.length >= shortestFragment) fragments.add(fragment);
      }
    }
    // Longest first, so a whole value is replaced before any of its items.
    this.#fragments = [...fragments].sort((a, b) => b.length - a.length);
  }

  /** `text` with every secret replaced by `***`. */
  redact(text: string): string {
    let result = text;
    for (const fragment of this.#fragments) result = result.split(fragment).join("***");
    return result;
  }

  /** True when `text` contains a secret. */
  leaks(text: string): boolean {
    return this.#fragments.some((fragment) => text.includes(fragment));
  }
}

/**
 * Writes `contents` to `<private temporary folder>/<name>` (folder 0700, file 0600), runs `use`
 * with its path, and deletes both afterwards, whatever happens.
 */
export async function withSecretFile<T>(name: string, contents: string, use: (file: string) => Promise<T>): Promise<T> {
  const folder = await mkdtemp(path.join(tmpdir(), "gemrelay-secret-"));
  try {
    const file = path.join(folder, name);
    await writeFile(file, contents, { mode: 0o600, flag: "wx" });
    return await use(file);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * A dotenv line `KEY='value'` as netlify-cli's parser (dotenv) reads it back verbatim: dotenv
 * unescapes nothing inside single quotes or backticks, and only `\n` inside double quotes, so the
 * value is wrapped in the first quote character it does not contain.
 */
export function dotenvLine(key: string, value: string): string {
  const quote = ["'", "`", '"'].find((candidate) => !value.includes(candidate));
  if (quote === undefined || /[\r\n]/.test(value) || (quote === '"' && value.includes("\\n"))) {
    throw new Error(`the value of ${key} cannot be written to a dotenv file (it contains line breaks or every kind of quote)`);
  }
  return `${key}=${quote}${value}${quote}`;
}
