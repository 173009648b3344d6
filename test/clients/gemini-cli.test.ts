/**
 * Issue 16: the Gemini CLI (`@google/gemini-cli`, headless `gemini -p`, /work/shared/reference
 * clients.md recipe) answers a prompt through gemrelay — across heartbeats — and fails when the
 * answer is given up, on the self-host bundle and the worker bundle under workerd.
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { temporaryDirectory } from "../helpers/process.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";
import { lastUserText } from "../sim/content.ts";
import { GeminiSimulator } from "../sim/index.ts";

const accessKey = "sk-cli-access-0123456789";
const answer = "The capital of France is Paris.";
const gemini = join(process.cwd(), "node_modules/.bin/gemini");

/** Runs `gemini -p prompt --output-format json` against `url`; its exit code and output. */
function runCli(url: string, prompt: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = temporaryDirectory("gemrelay-cli-home-");
  mkdirSync(join(home, ".gemini"));
  // Without the auth setting the CLI picks its "gateway" auth type and exits.
  writeFileSync(join(home, ".gemini/settings.json"), JSON.stringify({ security: { auth: { selectedType: "gemini-api-key" } }, privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false } }));
  const env = { PATH: process.env.PATH ?? "", HOME: home, GEMINI_API_KEY: accessKey, GOOGLE_GEMINI_BASE_URL: url, GEMINI_CLI_TRUST_WORKSPACE: "true", NO_COLOR: "1" };
  return new Promise((resolve) => {
    execFile(gemini, ["-p", prompt, "--output-format", "json", "-m", "gemini-2.5-flash"], { cwd: home, env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe.each(resumeWorkerTargets)("Gemini CLI on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    target = await startTarget({
      AUTH_KEY: accessKey,
      ADMIN_KEY: "admin-cli-0123456789",
      GEMINI_API_KEYS: [sim.createKey(), sim.createKey()].join(","),
      GEMINI_UPSTREAM: sim.url,
      RESUME_HEARTBEAT_MS: "200",
    });
  });
  beforeEach(() => {
    sim.reset();
    // The CLI sends a context turn first and many tools; answer its question only.
    sim.setAnswer((request) => (lastUserText(request.body).includes("capital of France") ? answer : "Unexpected prompt."));
  });
  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  it("answers a prompt, across a silence bridged by heartbeats", { timeout: 90_000 }, async () => {
    sim.enqueue({ kind: "pause", afterChars: 8, ms: 2_000 });
    const run = await runCli(target.url, "What is the capital of France?");
    expect(run.code, run.stderr.slice(-2_000)).toBe(0);
    expect((JSON.parse(run.stdout) as { response: string }).response).toContain(answer);
    expect(sim.requests).toHaveLength(1);
    expect(sim.requests[0]).toMatchObject({ action: "streamGenerateContent", query: { alt: "sse" } });
    expect(sim.requests[0]!.key).not.toBe(accessKey);
  });

  it("fails, naming the incomplete answer, when gemrelay gives the answer up", { timeout: 90_000 }, async () => {
    sim.enqueue({ kind: "cut", afterChars: 8, mode: "close", times: 1_000 });
    const run = await runCli(target.url, "What is the capital of France?");
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toContain("ANSWER_INC");
    expect(run.stdout).not.toContain(answer);
  });
});
