/**
 * The small parts of `gemrelay deploy`: secret redaction and secret files, dotenv lines the way
 * netlify-cli reads them, reading the CLIs' output (Vercel's production alias, wrangler's URL,
 * JSON with zod), running a command (redacted failures, stdin), resolving the CLIs, and the
 * state file.
 */
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { OutputError, parseJsonOutput } from "../../deploy/cli-output.ts";
import { workerUrlFromOutput } from "../../deploy/cloudflare.ts";
import { CommandFailure, runCommand } from "../../deploy/command.ts";
import { dotenvLine, Redactor, withSecretFile } from "../../deploy/secrets.ts";
import { loadState, saveState, StateError } from "../../deploy/state.ts";
import { findOnPath, resolveTool } from "../../deploy/tools.ts";
import { vercelDeploymentUrl } from "../../deploy/vercel.ts";
import { temporaryFolder } from "./support.ts";

describe("secrets", () => {
  it("redacts whole values and each item of a list value, longest first", () => {
    const redactor = new Redactor(["AIzaFirstKey123456,AIzaSecondKey654321", "rt-hop-secret-123"]);
    expect(redactor.redact("keys AIzaFirstKey123456,AIzaSecondKey654321 and AIzaSecondKey654321 via rt-hop-secret-123")).toBe("keys *** and *** via ***");
    expect(redactor.leaks("nothing here")).toBe(false);
    // Fragments too short to be secrets are left alone, so ordinary words survive.
    expect(new Redactor(["a,b"]).redact("a b")).toBe("a b");
  });

  it("hands a 0600 file to the callback and deletes it (and its folder) afterwards, also on failure", async () => {
    let seen = "";
    await withSecretFile("s.json", "{}", async (file) => {
      seen = file;
      expect((statSync(file).mode & 0o777).toString(8)).toBe("600");
      expect((statSync(path.dirname(file)).mode & 0o777).toString(8)).toBe("700");
    });
    expect(existsSync(path.dirname(seen))).toBe(false);
    await expect(withSecretFile("s.json", "{}", async (file) => ((seen = file), Promise.reject(new Error("boom"))))).rejects.toThrow("boom");
    expect(existsSync(path.dirname(seen))).toBe(false);
  });

  it("writes dotenv lines dotenv reads back verbatim, and refuses values it could not", () => {
    expect(dotenvLine("RELAY_TOKEN", "a#b c")).toBe("RELAY_TOKEN='a#b c'");
    expect(dotenvLine("K", "it's")).toBe("K=`it's`");
    expect(dotenvLine("K", "'`")).toBe(`K="'\`"`);
    expect(() => dotenvLine("K", "two\nlines")).toThrow(/K cannot be written/);
    expect(() => dotenvLine("K", `'"\``)).toThrow(/every kind of quote/);
  });
});

describe("reading CLI output", () => {
  it("prefers Vercel's production alias (stderr) over the per-deployment URL (stdout)", () => {
    const stderr = "  Production      https://relay-abc123-team.vercel.app [2s]\n▲ Aliased         https://relay.vercel.app [2s]\n";
    expect(vercelDeploymentUrl("https://relay-abc123-team.vercel.app", stderr)).toBe("https://relay.vercel.app");
    expect(vercelDeploymentUrl("https://relay-abc123-team.vercel.app", "")).toBe("https://relay-abc123-team.vercel.app");
    expect(() => vercelDeploymentUrl("", "")).toThrow(OutputError);
  });

  it("finds the worker URL wrangler reports after `Deployed … triggers`", () => {
    const output = "Uploaded gemrelay (3.10 sec)\nDeployed gemrelay triggers (0.85 sec)\n  https://gemrelay.example.workers.dev\nCurrent Version ID: 1\n";
    expect(workerUrlFromOutput(output)).toBe("https://gemrelay.example.workers.dev");
    expect(() => workerUrlFromOutput("Uploaded gemrelay\nNo deploy targets for gemrelay\n")).toThrow(/workers\.dev subdomain/);
  });

  it("parses JSON after leading notices and names the field that does not fit", () => {
    const schema = z.object({ site_id: z.string(), deploy_url: z.url() });
    expect(parseJsonOutput(schema, 'Warning: old CLI\n{"site_id":"s","deploy_url":"https://x.netlify.app"}', "netlify deploy --json")).toEqual({ site_id: "s", deploy_url: "https://x.netlify.app" });
    expect(() => parseJsonOutput(schema, '{"site_id":"s","deploy_url":"nope"}', "netlify deploy --json")).toThrow(/netlify deploy --json: unexpected output \(deploy_url: /);
    expect(() => parseJsonOutput(schema, "Error: boom", "netlify deploy --json")).toThrow(/expected JSON output, got: Error: boom/);
  });
});

describe("running commands", () => {
  const folder = temporaryFolder();
  afterAll(() => folder.cleanup());
  const node = { name: "node", program: process.execPath, prefix: [], origin: "PATH" as const };
  const redactor = new Redactor(["super-secret-value"]);

  it("passes stdin and resolves with the output", async () => {
    const result = await runCommand({ tool: node, args: ["-e", "process.stdin.pipe(process.stdout)"], cwd: folder.path, env: {}, stdin: "from stdin" }, redactor);
    expect(result.stdout).toBe("from stdin");
  });

  it("rejects with the redacted command line, exit code and output", async () => {
    const failing = runCommand({ tool: node, args: ["-e", "console.error('bad super-secret-value'); process.exit(3)"], cwd: folder.path, env: {} }, redactor);
    await expect(failing).rejects.toBeInstanceOf(CommandFailure);
    const error = (await failing.catch((caught: unknown) => caught)) as CommandFailure;
    expect(error.outcome).toBe("exit code 3");
    expect(error.output).toBe("bad ***");
    expect(error.commandLine).toContain("'console.error('\\''bad ***'\\''); process.exit(3)'");
  });

  it("resolves a CLI from PATH first, else from node_modules (wrangler, netlify-cli), else npx at the pinned version", () => {
    const bin = path.join(folder.path, "bin");
    mkdirSync(bin);
    writeFileSync(path.join(bin, "netlify"), "#!/bin/sh\n");
    chmodSync(path.join(bin, "netlify"), 0o755);
    expect(findOnPath("netlify", bin)).toBe(path.join(bin, "netlify"));
    expect(resolveTool("netlify", { PATH: bin })).toMatchObject({ origin: "PATH", program: path.join(bin, "netlify") });
    expect(resolveTool("vercel", { PATH: bin })).toMatchObject({ origin: "npx", prefix: ["--yes", "--package", "vercel@64.0.2", "vercel"] });
    expect(resolveTool("wrangler", { PATH: bin })).toMatchObject({ origin: "node_modules" });
    expect(resolveTool("netlify", { PATH: path.join(folder.path, "empty") })).toMatchObject({ origin: "node_modules", program: expect.stringMatching(/node_modules\/\.bin\/netlify$/) });
  });
});

describe("state file", () => {
  const folder = temporaryFolder();
  afterAll(() => folder.cleanup());

  it("is empty when missing, round-trips, and names the field of a broken file", async () => {
    const file = path.join(folder.path, "nested", "state.json");
    expect(await loadState(file)).toEqual({ version: 1, chains: {} });
    const state = {
      version: 1 as const,
      chains: { c: { relays: { nf: { platform: "netlify" as const, siteId: "s", siteName: "c-nf", url: "https://c-nf.netlify.app", region: "cmh", deployedAt: "2026-01-01T00:00:00.000Z" } } } },
    };
    await saveState(file, state);
    expect(await loadState(file)).toEqual(state);
    writeFileSync(file, JSON.stringify({ version: 1, chains: { c: { relays: { nf: { platform: "netlify", siteId: "s" } } } } }));
    await expect(loadState(file)).rejects.toThrow(StateError);
    await expect(loadState(file)).rejects.toThrow(/chains\.c\.relays\.nf\.siteName/);
  });
});
