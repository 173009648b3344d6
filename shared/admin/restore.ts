/**
 * The write side of a restore. A backup is a file anyone may have edited, so every thing in it
 * passes the rules of the API that writes that thing (pool keys as `POST /api/keys` checks them,
 * access keys as `POST /api/access-keys` makes them, each document with the schema of its PUT)
 * before anything is written; then one Store call applies it all in one transaction. On any
 * problem nothing changes and the 400 names the field.
 */
import type { AppContext } from "../app.ts";
import { BadRequestError } from "../errors.ts";
import { poolKeyId } from "../keys/identity.ts";
import { keyProblem } from "../keys/validate.ts";
import { policyDocuments } from "../policy/policies.ts";
import type { RestoreBatch } from "../store/store.ts";
import type { Backup, RestoreReport } from "./backup.ts";
import { describeDocumentError } from "./input.ts";

/** A key of the backup in clear (decrypted, or stored plain), with its place in `keys`. */
export interface ClearKey {
  index: number;
  key: string;
}

/** Throws a 400 at the first place where `backup` breaks the API's rules; otherwise writes it at once. */
export async function applyRestore(context: AppContext, backup: Backup, clear: readonly ClearKey[], includeUsage: boolean): Promise<RestoreReport> {
  const batch: RestoreBatch = {
    at: context.clock(),
    keys: await checkedKeys(backup, clear),
    accessKeys: checkedAccessKeys(backup),
    settings: checkedSettings(context, backup),
    usage: includeUsage ? checkedUsage(backup) : [],
  };
  const outcome = await context.store.restore(batch);
  return {
    keysAdded: outcome.keysAdded.length,
    keysSkipped: backup.keys.length - outcome.keysAdded.length,
    accessKeysAdded: outcome.accessKeysAdded,
    settings: Object.keys(batch.settings),
    usageRows: batch.usage.length,
  };
}

function refuse(field: string, problem: string): never {
  throw new BadRequestError(`Invalid backup at ${field}: ${problem}`);
}

/** Refuses the first value that repeats an earlier one, naming both places (`place(index)`). */
function refuseRepeats(values: readonly string[], place: (index: number) => string): void {
  const seen = new Map<string, number>();
  values.forEach((value, index) => {
    const first = seen.get(value);
    if (first !== undefined) refuse(place(index), `repeats ${place(first)}`);
    seen.set(value, index);
  });
}

/** Pool keys: well-formed as `POST /api/keys` demands, each id the id of its key, no repeats. */
async function checkedKeys(backup: Backup, clear: readonly ClearKey[]): Promise<RestoreBatch["keys"]> {
  refuseRepeats(backup.keys.map((entry) => entry.id), (index) => `keys[${index}].id`);
  const keys: RestoreBatch["keys"] = [];
  for (const { index, key } of clear) {
    const entry = backup.keys[index];
    if (entry === undefined) continue;
    // The reason only: the key itself never goes back into an answer.
    const problem = keyProblem(key);
    if (problem !== null) refuse(`keys[${index}].key`, problem);
    if ((await poolKeyId(key)) !== entry.id) refuse(`keys[${index}].id`, "is not the id of this key");
    keys.push({ key, status: entry.status, statusReason: entry.status === "active" ? null : entry.statusReason });
  }
  return keys;
}

/** Access keys: the id is the hash's first 12 digits, as createAccessKey makes it; no id or hash twice. */
function checkedAccessKeys(backup: Backup): RestoreBatch["accessKeys"] {
  backup.accessKeys.forEach((record, index) => {
    if (record.id !== record.hash.slice(0, 12)) refuse(`accessKeys[${index}].id`, "must be the first 12 digits of hash");
  });
  refuseRepeats(backup.accessKeys.map((record) => record.id), (index) => `accessKeys[${index}].id`);
  refuseRepeats(backup.accessKeys.map((record) => record.hash), (index) => `accessKeys[${index}].hash`);
  return backup.accessKeys.map((record) => ({ ...record, models: [...new Set(record.models)] }));
}

/** Documents: only the ones a backup carries, each valid JSON passing the schema of its PUT; stored in canonical form. */
function checkedSettings(context: AppContext, backup: Backup): RestoreBatch["settings"] {
  const documents = new Map(policyDocuments(context.policies).map((document) => [document.name, document]));
  const settings: RestoreBatch["settings"] = {};
  for (const [name, text] of Object.entries(backup.settings)) {
    const document = documents.get(name);
    if (document === undefined) refuse(`settings.${name}`, `not a setting a backup carries (${[...documents.keys()].join(", ")})`);
    // Empty means "the default", as DELETE on the document's route leaves it.
    if (text === "") {
      settings[name] = "";
      continue;
    }
    try {
      settings[name] = JSON.stringify(document.parseText(text));
    } catch (error) {
      refuse(`settings.${name}`, describeDocumentError(error));
    }
  }
  return settings;
}

/** Usage rows: shaped by the backup schema; one row per (day, access key, pool key, model), as the Store keeps them. */
function checkedUsage(backup: Backup): RestoreBatch["usage"] {
  // The same day, access key, pool key and model twice.
  refuseRepeats(backup.usage.map((row) => [row.day, row.accessKey, row.poolKey, row.model].join("\u0000")), (index) => `usage[${index}]`);
  return backup.usage;
}
