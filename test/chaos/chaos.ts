/**
 * The chaos suite: many concurrent requests through a real target while the simulator injects
 * every fault it knows at random (cut, reset and stalled streams, errors inside streams, empty
 * replies, missing finishReason, 503s, slow first bytes, invalid and rate-limited keys). Counts
 * silent truncations (a 200 whose text is not the whole answer and says nothing), lost state
 * (Store counters that disagree with what the simulator saw) and crashes (a target that stops
 * answering). All three must be zero.
 */
import { seededRandom } from "../helpers/random.ts";
import { GeminiSimulator, continuingAnswer, type Fault } from "../sim/index.ts";
import { lastUserText } from "../sim/content.ts";

/** A running target: base URL, its credentials, a liveness check. */
export interface ChaosTarget {
  url: string;
  accessKey: string;
  adminKey: string;
  alive(): boolean;
}

/** What one chaos run found. */
export interface ChaosReport {
  requests: number;
  complete: number;
  explicitErrors: number;
  silentTruncations: string[];
  lostState: string[];
  crashes: string[];
  faultsInjected: number;
}

const words = ["relay", "stream", "token", "quota", "region", "signal", "answer", "resume", "model", "worker", "egress", "cache"];

/** The whole answer the simulated model gives to prompt `chaos <n>`: a few hundred characters. */
export function answerFor(prompt: string): string {
  const next = seededRandom(Number(/(\d+)/.exec(prompt)?.[1] ?? 0) + 1);
  const sentences: string[] = [];
  for (let sentence = 0; sentence < 6 + Math.floor(next() * 6); sentence++) {
    const length = 6 + Math.floor(next() * 8);
    sentences.push(Array.from({ length }, () => words[Math.floor(next() * words.length)]).join(" ") + ".");
  }
  return `Answer to ${prompt}: ${sentences.join(" ")}`;
}

function randomFault(next: () => number): Fault {
  const afterChars = 5 + Math.floor(next() * 150);
  const faults: Fault[] = [
    { kind: "cut", afterChars, mode: "close" },
    { kind: "cut", afterChars, mode: "reset" },
    { kind: "cut", afterChars, mode: "stall" },
    { kind: "error-in-stream", afterChars },
    { kind: "empty-stop" },
    { kind: "no-finish" },
    { kind: "http-error", status: 503 },
    { kind: "http-error", status: 500 },
    { kind: "first-byte-delay", ms: 50 + Math.floor(next() * 200) },
  ];
  return faults[Math.floor(next() * faults.length)]!;
}

interface Outcome {
  kind: "complete" | "error" | "silent";
  detail: string;
}

async function streamed(target: ChaosTarget, prompt: string, expected: string): Promise<Outcome> {
  const response = await fetch(`${target.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-goog-api-key": target.accessKey },
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: prompt }] }] }),
  });
  if (!response.ok) return { kind: "error", detail: `HTTP ${response.status}` };
  const text = await response.text().catch((error: unknown) => `\u0000${String(error)}`);
  if (text.startsWith("\u0000")) return { kind: "error", detail: "connection dropped visibly" };
  let visible = "";
  let finishes = 0;
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (!block.startsWith("data: ")) continue;
    const event = JSON.parse(block.slice(6)) as { error?: unknown; candidates?: { finishReason?: string; content?: { parts?: { text?: string; thought?: boolean }[] } }[] };
    if (event.error) return { kind: "error", detail: "terminal error event" };
    const candidate = event.candidates?.[0];
    if (candidate?.finishReason) finishes += 1;
    for (const part of candidate?.content?.parts ?? []) if (!part.thought) visible += part.text ?? "";
  }
  if (visible === expected && finishes === 1) return { kind: "complete", detail: "" };
  return { kind: "silent", detail: `stream for "${prompt}": ${finishes} finishReason(s), got ${JSON.stringify(visible.slice(-60))} of ${visible.length}/${expected.length} chars` };
}

async function whole(target: ChaosTarget, prompt: string, expected: string): Promise<Outcome> {
  const response = await fetch(`${target.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-goog-api-key": target.accessKey },
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: prompt }] }] }),
  });
  if (!response.ok) return { kind: "error", detail: `HTTP ${response.status}` };
  const body = (await response.json()) as { candidates?: { finishReason?: string; content?: { parts?: { text?: string; thought?: boolean }[] } }[] };
  const candidate = body.candidates?.[0];
  const visible = (candidate?.content?.parts ?? []).filter((part) => !part.thought).map((part) => part.text ?? "").join("");
  if (visible === expected && candidate?.finishReason === "STOP") return { kind: "complete", detail: "" };
  return { kind: "silent", detail: `answer for "${prompt}": finishReason ${candidate?.finishReason}, ${visible.length}/${expected.length} chars` };
}

/**
 * Runs `requests` requests, `concurrency` at a time, half streamed and half not, while faults are
 * injected into a share `faultRate` of upstream attempts. The simulator's keys must already be in
 * the target's pool (`keys`).
 */
export async function runChaos(options: {
  sim: GeminiSimulator;
  target: ChaosTarget;
  keys: readonly string[];
  requests: number;
  concurrency: number;
  seed: number;
  faultRate?: number;
}): Promise<ChaosReport> {
  const { sim, target } = options;
  const next = seededRandom(options.seed);
  sim.setAnswer(continuingAnswer((request) => answerFor(lastUserText(request.body)), { repeat: 17 }));
  let faultsInjected = 0;
  const report: ChaosReport = { requests: options.requests, complete: 0, explicitErrors: 0, silentTruncations: [], lostState: [], crashes: [], faultsInjected: 0 };
  let issued = 0;
  const worker = async () => {
    while (issued < options.requests) {
      const index = issued++;
      if (next() < (options.faultRate ?? 0.4)) {
        sim.enqueue(randomFault(next));
        faultsInjected += 1;
      }
      const prompt = `chaos ${options.seed * 100_000 + index}`;
      try {
        const outcome = await (index % 2 === 0 ? streamed : whole)(target, prompt, answerFor(prompt));
        if (outcome.kind === "complete") report.complete += 1;
        else if (outcome.kind === "error") report.explicitErrors += 1;
        else report.silentTruncations.push(`${outcome.detail}; upstream attempts: ${describeAttempts(sim, prompt)}`);
      } catch (error) {
        // A refused connection is a crash; anything else the client saw as an error is explicit.
        if (!target.alive()) report.crashes.push(`target gone at request ${index}: ${String(error)}`);
        else report.explicitErrors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  report.faultsInjected = faultsInjected;

  if (!target.alive()) report.crashes.push("target process exited");
  const health = await fetch(`${target.url}/health`).catch(() => null);
  if (health?.status !== 200) report.crashes.push(`/health answered ${health?.status ?? "nothing"}`);
  report.lostState.push(...(await checkState(sim, target, options.keys)));
  return report;
}

/** The simulator's record of every attempt for `prompt`: fault, status, prefilled characters. */
function describeAttempts(sim: GeminiSimulator, prompt: string): string {
  const attempts = sim.requests.filter((request) => JSON.stringify(request.body).includes(`"${prompt}"`));
  return attempts
    .map((request) => {
      const contents = (request.body as { contents?: { role?: string; parts?: { text?: string }[] }[] }).contents ?? [];
      const prefill = contents.at(-1)?.role === "model" ? (contents.at(-1)?.parts ?? []).map((part) => part.text ?? "").join("").length : 0;
      return `[${request.fault ? JSON.stringify(request.fault) : "no fault"} status ${request.status ?? "-"} prefill ${prefill}]`;
    })
    .join(" ");
}

/** Store counters must match what the simulator saw, once background writes have landed. */
async function checkState(sim: GeminiSimulator, target: ChaosTarget, keys: readonly string[]): Promise<string[]> {
  const deadline = Date.now() + 5_000;
  let problems: string[] = [];
  while (Date.now() < deadline) {
    const response = await fetch(`${target.url}/status`, { headers: { authorization: `Bearer ${target.adminKey}` } });
    if (response.status !== 200) return [`/status answered ${response.status}`];
    const status = (await response.json()) as { keys: { key: string; requests: number; status: string }[] };
    problems = [];
    for (const key of keys) {
      const masked = `${key.slice(0, 4)}…${key.slice(-3)}`;
      const entry = status.keys.find((candidate) => candidate.key === masked);
      const attempts = sim.requests.filter((request) => request.key === key && request.action !== "models.list" && request.status !== undefined);
      // A socket reset right after the status line may reach the worker as a failed connection
      // (blamed on the relay, not counted for the key): those attempts may or may not be counted.
      const ambiguous = attempts.filter((request) => request.fault?.kind === "cut" && request.fault.mode === "reset").length;
      const seen = attempts.length;
      if (!entry) problems.push(`key ${masked} missing from /status`);
      else if (entry.requests > seen || entry.requests < seen - ambiguous) {
        problems.push(`key ${masked}: Store counts ${entry.requests} requests, simulator saw ${seen} (${ambiguous} reset)`);
      }
    }
    if (problems.length === 0) return [];
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return problems;
}
