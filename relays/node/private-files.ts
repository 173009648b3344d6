/**
 * Files at rest on the self-host. DATA_DIR holds the SQLite state (pool keys in clear unless
 * ENCRYPTION_KEY is set) and the generated secrets, so everything gemrelay creates there is for its
 * own user only: folders 0700, files 0600, whatever the umask (SQLite gives its `-wal` and `-shm`
 * files the database file's mode). Modes are set explicitly rather
 * than by changing the process umask, which would also affect files other code writes. Existing
 * paths are never changed behind the operator's back: a looser mode is reported at start.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";

/** Mode of the folders gemrelay creates. */
export const privateDirectoryMode = 0o700;
/** Mode of the files gemrelay creates. */
export const privateFileMode = 0o600;

/** Creates `directory` (and missing parents) as 0700; an existing one is left as it is. */
export function ensurePrivateDirectory(directory: string): void {
  if (existsSync(directory)) return;
  mkdirSync(directory, { recursive: true, mode: privateDirectoryMode });
  // mkdir's mode passes through the umask; a umask could only remove bits, but set it whole anyway.
  chmodSync(directory, privateDirectoryMode);
}

/** Creates `file` empty as 0600 unless it exists, so that whoever fills it (SQLite) inherits the mode. */
export function ensurePrivateFile(file: string): void {
  if (existsSync(file)) return;
  // `wx`: never truncate a file another process created in between.
  try {
    closeSync(openSync(file, "wx", privateFileMode));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return;
  }
  chmodSync(file, privateFileMode);
}

/**
 * One warning per existing path that other users of the machine may read or write: folders
 * looser than 0700, files looser than 0600. Missing paths are skipped.
 */
export function looserThanPrivate(paths: readonly string[]): string[] {
  const warnings: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const stats = statSync(path);
    const mode = stats.mode & 0o777;
    if ((mode & 0o077) === 0) continue;
    const wanted = stats.isDirectory() ? privateDirectoryMode : privateFileMode;
    warnings.push(`${path} has mode ${octal(mode)}, open to other users of this machine (it may hold pool keys or secrets): run chmod ${octal(wanted).slice(1)} ${path}`);
  }
  return warnings;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}
