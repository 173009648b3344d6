/**
 * Issue #14, finding 11 (files at rest), through the built self-host bundle: DATA_DIR is created
 * 0700 and every file gemrelay writes there (gemrelay.sqlite with -wal and -shm, secrets.json)
 * 0600, also under a umask of 000; an existing looser folder or file is reported at start with a
 * warning naming it, and the server still starts and serves.
 */
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startChild, startSelfHost, temporaryDirectory, type Child } from "../helpers/process.ts";

const adminKey = "admin-files-0123456789";
const poolKey = `AIzaSyFilesAtRest${"0123456789".repeat(2)}abcd`;

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8).padStart(3, "0");

/** The built bundle under `sh`, with the umask set first: what an operator's shell may have. */
async function startUnderUmask(umask: string, env: Record<string, string>): Promise<Child & { url: string }> {
  const child = startChild("sh", ["-c", `umask ${umask} && exec "${process.execPath}" dist/node/server.mjs`], { PORT: "0", HOST: "127.0.0.1", ...env });
  const [, url = ""] = await child.waitFor(/listening on (http:\/\/\S+)/);
  return Object.assign(child, { url });
}

describe("files at rest on the self-host", () => {
  let running: Child | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  /** Writes state (a pool key, a policy document) so that SQLite has written its WAL. */
  const writeState = async (url: string, admin: string) => {
    const headers = { authorization: `Bearer ${admin}`, "content-type": "application/json" };
    expect((await fetch(`${url}/api/keys`, { method: "POST", headers, body: JSON.stringify({ keys: [poolKey] }) })).status).toBe(200);
    expect((await fetch(`${url}/api/policy/models`, { method: "PUT", headers, body: JSON.stringify({ disabled: ["gemini-2.5-pro"] }) })).status).toBe(200);
  };

  it.each(["022", "000"])("creates DATA_DIR 0700 and its files 0600 under umask %s", async (umask) => {
    // A folder that does not exist yet, two levels down: both are created private.
    const dataDir = join(temporaryDirectory(), "state", "gemrelay");
    // No AUTH_KEY / ADMIN_KEY: the server generates them into secrets.json.
    const server = await startUnderUmask(umask, { DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt") });
    running = server;
    const generatedAdmin = /ADMIN_KEY=(\S+)/.exec(server.output())?.[1] ?? "";
    expect(generatedAdmin).not.toBe("");
    await writeState(server.url, generatedAdmin);

    expect(modeOf(dataDir)).toBe("700");
    expect(modeOf(join(dataDir, ".."))).toBe("700");
    for (const name of ["gemrelay.sqlite", "gemrelay.sqlite-wal", "gemrelay.sqlite-shm", "secrets.json"]) {
      expect(existsSync(join(dataDir, name)), name).toBe(true);
      expect(modeOf(join(dataDir, name)), name).toBe("600");
    }
    expect(server.output()).not.toMatch(/Warning:/);
  });

  it("warns at start about a looser DATA_DIR and looser files, names them, and still serves", async () => {
    const dataDir = join(temporaryDirectory(), "shared");
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    // A first start creates the files; then they are opened up, as an older gemrelay left them.
    const first = await startSelfHost({ DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), ADMIN_KEY: adminKey, AUTH_KEY: "sk-files-0123456789" });
    running = first;
    expect(first.output()).toMatch(new RegExp(`Warning: ${dataDir} has mode 0755.*chmod 700 ${dataDir}`));
    await writeState(first.url, adminKey);
    await first.stop();
    running = undefined;
    const database = join(dataDir, "gemrelay.sqlite");
    chmodSync(database, 0o644);
    const keysFile = join(dataDir, "keys.txt");
    writeFileSync(keysFile, `${poolKey}\n`, { mode: 0o644 });
    chmodSync(keysFile, 0o644);

    const second = await startSelfHost({ DATA_DIR: dataDir, KEYS_FILE: keysFile, ADMIN_KEY: adminKey, AUTH_KEY: "sk-files-0123456789" });
    running = second;
    const output = second.output();
    expect(output).toMatch(new RegExp(`Warning: ${dataDir} has mode 0755`));
    expect(output).toMatch(new RegExp(`Warning: ${database} has mode 0644.*chmod 600 ${database}`));
    expect(output).toMatch(new RegExp(`Warning: ${keysFile} has mode 0644`));
    // Reported, not changed, and no secret in the warnings.
    expect(output).not.toContain(poolKey);
    expect(modeOf(dataDir)).toBe("755");
    expect(modeOf(database)).toBe("644");
    expect((await fetch(`${second.url}/health`)).status).toBe(200);
  });
});
