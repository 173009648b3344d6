/**
 * `gemrelay backup` and `gemrelay restore`: the admin API's GET /api/backup and POST /api/restore
 * from the command line, against any running resume worker (self-host or Cloudflare).
 */
import { readFile, writeFile } from "node:fs/promises";
import { type Command, UsageError } from "./cli-command.ts";

const connectionHelp = [
  "  --url <url>          the resume worker (default: $GEMRELAY_URL)",
  "  --admin-key <key>    admin credential (default: $ADMIN_KEY)",
  "  --passphrase <text>  passphrase of encrypted keys (default: $GEMRELAY_BACKUP_PASSPHRASE)",
];
const connectionOptions = { url: { type: "string" }, "admin-key": { type: "string" }, passphrase: { type: "string" } } as const;

function connection(values: Record<string, unknown>): { url: string; headers: Record<string, string> } {
  const url = ((values.url as string | undefined) ?? process.env.GEMRELAY_URL ?? "").replace(/\/+$/, "");
  const adminKey = (values["admin-key"] as string | undefined) ?? process.env.ADMIN_KEY;
  if (!url) throw new UsageError("--url (or GEMRELAY_URL) is required");
  if (!adminKey) throw new UsageError("--admin-key (or ADMIN_KEY) is required");
  const passphrase = (values.passphrase as string | undefined) ?? process.env.GEMRELAY_BACKUP_PASSPHRASE;
  return { url, headers: { authorization: `Bearer ${adminKey}`, ...(passphrase ? { "x-backup-passphrase": passphrase } : {}) } };
}

async function answer(response: Response): Promise<string> {
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 500)}`);
  return text;
}

/** The `backup` subcommand. */
export const backupCommand: Command = {
  summary: "write the worker's whole state (keys, access keys, policy, budgets, usage) to a JSON file",
  usage: [
    "gemrelay backup --url <url> [--admin-key <key>] [--keys encrypted|masked|plain] [--passphrase <text>] [--out <file>]",
    "",
    "Keys are encrypted with the passphrase by default; `masked` keeps them out of the file (they",
    "cannot be restored then); `plain` writes them in clear. Prints to stdout without --out.",
    "",
    ...connectionHelp,
    "  --keys <mode>        encrypted (default), masked or plain",
    "  --out <file>         where to write the backup",
  ].join("\n"),
  options: { ...connectionOptions, keys: { type: "string" }, out: { type: "string" } },
  async run(values) {
    const { url, headers } = connection(values);
    const keys = (values.keys as string | undefined) ?? "encrypted";
    const text = await answer(await fetch(`${url}/api/backup?keys=${encodeURIComponent(keys)}`, { headers }));
    const out = values.out as string | undefined;
    if (out) {
      await writeFile(out, text, { mode: 0o600 });
      console.error(`Wrote ${out}.`);
    } else console.log(text);
    return 0;
  },
};

/** The `restore` subcommand. */
export const restoreCommand: Command = {
  summary: "merge a backup file into a running worker (keys, access keys, policy, usage)",
  usage: [
    "gemrelay restore <file> --url <url> [--admin-key <key>] [--passphrase <text>] [--skip-usage]",
    "",
    "Adds missing pool keys and access keys, replaces the policy documents and adds the usage",
    "rows (restoring the same file twice counts its usage twice; use --skip-usage then).",
    "",
    ...connectionHelp,
    "  --skip-usage         leave usage out",
  ].join("\n"),
  options: { ...connectionOptions, "skip-usage": { type: "boolean" } },
  positionals: true,
  async run(values, positionals = []) {
    const [file] = positionals;
    if (!file) throw new UsageError("name the backup file to restore");
    const { url, headers } = connection(values);
    const body = await readFile(file, "utf8");
    const usage = values["skip-usage"] ? "skip" : "restore";
    const text = await answer(await fetch(`${url}/api/restore?usage=${usage}`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body }));
    console.log(text);
    return 0;
  },
};
