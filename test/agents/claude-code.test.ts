/**
 * Issue 17: Claude Code (`@anthropic-ai/claude-code`, `claude -p`) headless against both
 * resume-worker targets: it asks for its claude-* model, offers its tools, the simulator calls
 * `Read`, Claude Code runs it and sends the result back, and the final answer — cut by the
 * simulator and resumed by gemrelay — arrives whole.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { continuingAnswer, GeminiSimulator } from "../sim/index.ts";
import { temporaryDirectory } from "../helpers/process.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";
import { agentBinary, lastToolResult, runCli } from "./cli.ts";

const accessKey = "sk-claude-code-access-0123456789";

describe.each(resumeWorkerTargets)("Claude Code on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;
  let claude: string;

  beforeAll(async () => {
    claude = agentBinary("claude", "@anthropic-ai/claude-code");
    sim = await GeminiSimulator.start({ chunkChars: 16 });
    target = await startTarget({ AUTH_KEY: accessKey, ADMIN_KEY: "admin-claude-code-0123456789", GEMINI_UPSTREAM: sim.url, GEMINI_API_KEYS: [sim.createKey(), sim.createKey()].join(",") });
  }, 60_000);
  beforeEach(() => sim.reset());
  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  it("calls a tool, reads its result and finishes an answer that was cut and resumed", async () => {
    const work = temporaryDirectory();
    const file = join(work, "hello.txt");
    writeFileSync(file, "The secret word is PAPAYA.\n");
    sim.setAnswer(
      continuingAnswer((request) => {
        const result = lastToolResult(request);
        return result ? `The ${result.name} tool says the secret word is ${result.output.includes("PAPAYA") ? "PAPAYA" : "unknown"}, which I read from the file just now.` : "I have no tool result.";
      }, { repeat: 10 }),
    );
    sim.enqueue({ kind: "function-call", name: "Read", args: { file_path: file } });
    sim.enqueue({ kind: "cut", afterChars: 30, mode: "close" });

    const run = await runCli(claude, ["-p", "Read hello.txt and tell me the secret word.", "--allowedTools", "Read", "--output-format", "json"], work, {
      HOME: temporaryDirectory(),
      ANTHROPIC_BASE_URL: target.url,
      ANTHROPIC_API_KEY: accessKey,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_AUTOUPDATER: "1",
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { is_error: boolean; result: string; num_turns: number };
    expect(result.is_error).toBe(false);
    expect(result.result).toBe("The Read tool says the secret word is PAPAYA, which I read from the file just now.");

    const generates = sim.requests.filter((request) => request.action === "streamGenerateContent");
    // Its claude-* model went through the default aliases.
    expect(generates[0]!.model).toMatch(/^gemini-2\.5-(pro|flash)$/);
    const declared = (generates[0]!.body as { tools: { functionDeclarations: { name: string }[] }[] }).tools[0]!.functionDeclarations.map((tool) => tool.name);
    expect(declared).toContain("Read");
    // The tool call, its result, then the answer and its continuation.
    expect(lastToolResult(generates[1]!)?.output).toContain("PAPAYA");
    expect(generates.length).toBeGreaterThanOrEqual(3);
  }, 180_000);
});
