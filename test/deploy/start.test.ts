/** `gemrelay start`: builds dist/node/server.mjs, runs it, and passes SIGTERM on for a clean shutdown. */
import { afterAll, describe, expect, it } from "vitest";
import { freePortBlock, portClosed, runCli, temporaryFolder } from "./support.ts";

describe("gemrelay start", () => {
  const folder = temporaryFolder();
  afterAll(() => folder.cleanup());

  it("serves on PORT with state under DATA_DIR, and exits 0 on SIGTERM with the port released", async () => {
    const port = await freePortBlock(1);
    const cli = runCli(["start"], {
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: folder.path,
      KEYS_FILE: `${folder.path}/keys.txt`,
      AUTH_KEY: "sk-start-0123456789abcdef",
      ADMIN_KEY: "admin-start-0123456789abcdef",
    });
    try {
      await cli.waitFor(new RegExp(`listening on http://127\\.0\\.0\\.1:${port}`), 45_000);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      cli.child.kill("SIGTERM");
      expect(await cli.exited).toBe(0);
      expect(cli.output()).toMatch(/SIGTERM/);
      expect(await portClosed(port)).toBe(true);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
    }
  }, 60_000);

  it("prints its help", async () => {
    const cli = runCli(["start", "--help"], {});
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toMatch(/Usage: gemrelay start/);
  }, 30_000);
});
