/**
 * Issue 17: Codex (`@openai/codex`, `codex exec`) headless against both resume-worker targets
 * through a custom provider with `wire_api = "responses"`: the simulator calls `exec_command`,
 * Codex runs it in its sandbox and sends the output back, and the final answer — cut by the
 * simulator and resumed by gemrelay — arrives whole.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { continuingAnswer, GeminiSimulator } from "../sim/index.ts";
import { temporaryDirectory } from "../helpers/process.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";
import { agentBinary, lastToolResult, runCli } from "./cli.ts";

const accessKey = "sk-codex-access-0123456789";

describe.each(resumeWorkerTargets)("Codex on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;
  let codex: string;

  beforeAll(async () => {
    codex = agentBinary("codex", "@openai/codex");
    sim = await GeminiSimulator.start({ chunkChars: 16 });
    target = await startTarget({ AUTH_KEY: accessKey, ADMIN_KEY: "admin-codex-0123456789", GEMINI_UPSTREAM: sim.url, GEMINI_API_KEYS: [sim.createKey(), sim.createKey()].join(",") });
  }, 60_000);
  beforeEach(() => sim.reset());
  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  it("runs a command through a tool call, reads its output and finishes an answer that was cut and resumed", async () => {
    const work = temporaryDirectory();
    writeFileSync(join(work, "hello.txt"), "The secret word is PAPAYA.\n");
    const home = temporaryDirectory();
    writeFileSync(
      join(home, "config.toml"),
      ['model = "gpt-5-codex"', 'model_provider = "gemrelay"', "", "[model_providers.gemrelay]", 'name = "gemrelay"', `base_url = "${target.url}/v1"`, 'env_key = "GEMRELAY_ACCESS_KEY"', 'wire_api = "responses"', ""].join("\n"),
    );
    sim.setAnswer(
      continuingAnswer((request) => {
        const result = lastToolResult(request);
        return result ? `The ${result.name} tool says the secret word is ${result.output.includes("PAPAYA") ? "PAPAYA" : "unknown"}, read from hello.txt.` : "I have no tool result.";
      }, { repeat: 10 }),
    );
    sim.enqueue({ kind: "function-call", name: "exec_command", args: { cmd: "cat hello.txt" } });
    sim.enqueue({ kind: "cut", afterChars: 30, mode: "close" });

    const run = await runCli(codex, ["exec", "--skip-git-repo-check", "Read hello.txt and tell me the secret word."], work, {
      HOME: temporaryDirectory(),
      CODEX_HOME: home,
      GEMRELAY_ACCESS_KEY: accessKey,
    });
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(run.stdout.trim()).toBe("The exec_command tool says the secret word is PAPAYA, read from hello.txt.");

    const generates = sim.requests.filter((request) => request.action === "streamGenerateContent");
    expect(generates[0]!.model).toBe("gemini-2.5-pro");
    expect(lastToolResult(generates[1]!)?.output).toContain("PAPAYA");
    expect(generates.length).toBeGreaterThanOrEqual(3);
  }, 180_000);
});
