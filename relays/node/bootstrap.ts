/**
 * Self-host first start: secrets and keys from files under DATA_DIR / the working directory.
 * No public default secrets (DESIGN.md): missing AUTH_KEY/ADMIN_KEY are generated once, stored
 * with mode 0600 and printed once.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSubmittedKeys, type ParsedKeys } from "../../shared/keys/validate.ts";
import { generateSecret } from "../../shared/secrets.ts";
import { ensurePrivateDirectory, privateFileMode } from "./private-files.ts";

/** Secrets a self-host instance generated for itself. */
interface GeneratedSecrets {
  AUTH_KEY?: string;
  ADMIN_KEY?: string;
}

/**
 * Returns the environment completed with generated secrets where AUTH_KEY or ADMIN_KEY is unset.
 * `announce` receives the one-time message that shows newly generated values.
 */
export function completeSecrets(env: NodeJS.ProcessEnv, dataDir: string, announce: (message: string) => void): NodeJS.ProcessEnv {
  const file = join(dataDir, "secrets.json");
  const stored: GeneratedSecrets = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as GeneratedSecrets) : {};
  const created: (keyof GeneratedSecrets)[] = [];
  const wanted: (keyof GeneratedSecrets)[] = [];
  if (!env.AUTH_KEY?.trim()) wanted.push("AUTH_KEY");
  if (!env.ADMIN_KEY?.trim() && !env.HOME_ACCESS_KEY?.trim()) wanted.push("ADMIN_KEY");
  for (const name of wanted) {
    if (stored[name]) continue;
    stored[name] = generateSecret(name === "AUTH_KEY" ? "sk-gemrelay-" : "admin-");
    created.push(name);
  }
  if (created.length > 0) {
    ensurePrivateDirectory(dataDir);
    writeFileSync(file, JSON.stringify(stored, null, 2) + "\n", { mode: privateFileMode });
    chmodSync(file, privateFileMode);
    const lines = created.map((name) => `  ${name}=${stored[name]}`).join("\n");
    announce(`Generated secrets (shown once, stored in ${file} with mode 0600):\n${lines}`);
  }
  const completed = { ...env };
  for (const name of wanted) completed[name] = stored[name];
  return completed;
}

/**
 * Pool keys from a keys file (one per line, `#` comments), checked like every other key source:
 * the well-formed ones, and the rest refused (masked). None when the file is absent.
 */
export function readKeysFile(file: string): ParsedKeys {
  return parseSubmittedKeys(existsSync(file) ? readFileSync(file, "utf8") : "");
}
