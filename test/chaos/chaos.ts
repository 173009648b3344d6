/**
 * The chaos suite: many concurrent requests through a real target while the simulator applies
 * a random mix of faults (faults.ts) and processes are killed and restarted (targets.ts). Every
 * request must end with the exact answer or a proper error (client.ts) within its budget; the
 * state afterwards must agree with what happened (state.ts); the target must keep answering.
 */
import { seededRandom } from "../helpers/random.ts";
import { continuingAnswer, type GeminiSimulator, type RecordedRequest } from "../sim/index.ts";
import { lastUserText } from "../sim/content.ts";
import { sendChaosRequest, type ChaosEndpoint, type Verdict } from "./client.ts";
import { FaultMix } from "./faults.ts";
import type { ChaosReport } from "./report.ts";
import { answerFor, type ChaosKeys } from "./setup.ts";
import { checkCounters, checkPool, settleRelays, type AdminEndpoint } from "./state.ts";

/** A process killed or restarted in the middle of a run. */
export interface Disruption {
  /** It starts before request number `before` is sent. */
  before: number;
  name: string;
  /** New requests wait until it is over (the target is down meanwhile). */
  pause: boolean;
  /** Attempts through this hop (null: every hop) in flight when it killed a process may be missing from the Store. */
  hop?: string | null;
  /**
   * Runs it: when it killed a process and, when that process held the state, since when its
   * outcome writes may not have reached the Store; what it found wrong across it, what it checked.
   */
  run(): Promise<{ killedAt?: number; unflushedSince?: number; problems?: string[]; note?: string }>;
}

/** A running target. */
export interface ChaosTarget extends ChaosEndpoint, AdminEndpoint {
  name: string;
  /** The longest a request may take: the target's routing and resume budgets plus a margin (targets.ts). */
  budgetMs: number;
  /** The hop location refusals are aimed at (null: any attempt). */
  refusedHop: string | null;
  alive(): boolean;
  /** Bumped each time the target process is killed on purpose: requests begun before may lose their connection. */
  generation(): number;
  /** The disruptions of a run of `requests` requests. */
  disruptions(requests: number): Disruption[];
  stop(): Promise<unknown>;
}

/**
 * Outcome counters are written in batches (PoolView, 20 ms windows) once an attempt's answer
 * began, and a /status read writes the pending batch first. So an attempt of a request that
 * ended longer than this before the last /status read ahead of a SIGKILL is in the Store: the
 * batch window plus event-loop delay on a loaded two-core machine, with room to spare.
 */
const flushMarginMs = 250;

/** How long relay circuits get to close after the run: quarantine (1 s) and open time (0.5 s) with probes, plus slack. */
const settleMs = 15_000;

/** A process killed during the run; see {@link Disruption}. */
interface Kill {
  at: number;
  unflushedSince: number | undefined;
  hop: string | null;
}

/** One client request as timed. */
interface Timed {
  startedAt: number;
  endedAt: number;
}

/**
 * Runs `requests` requests, `concurrency` at a time, half streamed and half not, with a fault
 * queued before a share `faultRate` of them and the target's disruptions on the way.
 */
export async function runChaos(options: {
  sim: GeminiSimulator;
  keys: ChaosKeys;
  target: ChaosTarget;
  requests: number;
  concurrency: number;
  seed: number;
  faultRate?: number;
}): Promise<ChaosReport> {
  const { sim, keys, target } = options;
  const next = seededRandom(options.seed);
  sim.setAnswer(continuingAnswer((request) => answerFor(lastUserText(request.body)), { repeat: 17 }));
  const mix = new FaultMix(sim, { healthyKeys: keys.healthy, dailyKey: keys.daily, refusedHop: target.refusedHop }, next);
  const report: ChaosReport = {
    target: target.name,
    requests: options.requests,
    complete: 0,
    errors: {},
    faults: {},
    disruptions: [],
    checked: [],
    wallMs: 0,
    budgetMs: target.budgetMs,
    slowestMs: 0,
    silentTruncations: [],
    wrongErrors: [],
    hangs: [],
    lostState: [],
    crashes: [],
  };
  const count = (errorClass: string) => (report.errors[errorClass] = (report.errors[errorClass] ?? 0) + 1);
  const timings = new Map<string, Timed>();
  const kills: Kill[] = [];
  const disruptions = new Map(target.disruptions(options.requests).map((disruption) => [disruption.before, disruption]));
  const running: Promise<void>[] = [];
  let paused: Promise<void> | null = null;

  const disrupt = (disruption: Disruption): Promise<void> =>
    disruption.run().then(
      ({ killedAt, unflushedSince, problems = [], note }) => {
        if (killedAt !== undefined) kills.push({ at: killedAt, unflushedSince, hop: disruption.hop ?? null });
        report.disruptions.push(`${disruption.name} before request ${disruption.before}${note ? `: ${note}` : ""}`);
        report.lostState.push(...problems.map((problem) => `${disruption.name}: ${problem}`));
      },
      (error: unknown) => void report.crashes.push(`${disruption.name} failed: ${String(error)}`),
    );

  const one = async (index: number) => {
    const prompt = `chaos ${options.seed * 100_000 + index}`;
    const streamed = index % 2 === 0;
    const generation = target.generation();
    const timeout = AbortSignal.timeout(target.budgetMs * 2);
    const startedAt = Date.now();
    let verdict: Verdict | { kind: "lost"; detail: string };
    try {
      verdict = await sendChaosRequest(target, prompt, answerFor(prompt), streamed, timeout);
    } catch (error) {
      verdict = { kind: "lost", detail: String(error) };
    }
    const endedAt = Date.now();
    timings.set(prompt, { startedAt, endedAt });
    const took = endedAt - startedAt;
    report.slowestMs = Math.max(report.slowestMs, took);
    const what = `request ${index} (${streamed ? "streamed" : "whole"}, "${prompt}")`;
    if (took > target.budgetMs) report.hangs.push(`${what} took ${took} ms, budget ${target.budgetMs} ms (${verdict.kind})`);
    switch (verdict.kind) {
      case "complete":
        report.complete += 1;
        break;
      case "error":
        count(verdict.errorClass);
        break;
      case "wrong-error":
        report.wrongErrors.push(`${what}: ${verdict.detail}`);
        break;
      case "silent":
        report.silentTruncations.push(`${what}: ${verdict.detail}; upstream attempts: ${describeAttempts(sim, prompt)}`);
        break;
      case "lost":
        // The connection ended without an answer: expected only from a target killed meanwhile.
        if (target.generation() !== generation) count("connection lost to the SIGKILL");
        else if (timeout.aborted) break; // counted as a hang above
        else if (!target.alive()) report.crashes.push(`target gone at ${what}: ${verdict.detail}`);
        else report.wrongErrors.push(`${what}: connection dropped without an error (${verdict.detail})`);
    }
  };

  let issued = 0;
  const worker = async () => {
    for (;;) {
      while (paused) await paused;
      if (issued >= options.requests) return;
      const index = issued++;
      const disruption = disruptions.get(index);
      if (disruption?.pause) {
        paused = disrupt(disruption).then(() => void (paused = null));
        await paused;
      } else if (disruption) running.push(disrupt(disruption));
      mix.inject(options.faultRate ?? 0.4);
      await one(index);
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await Promise.all(running);
  report.wallMs = Date.now() - started;
  report.faults = mix.applied();

  if (!target.alive()) report.crashes.push("target process exited");
  const health = await fetch(`${target.url}/health`).catch(() => null);
  if (health?.status !== 200) report.crashes.push(`/health answered ${health?.status ?? "nothing"}`);
  if (report.crashes.length === 0) await checkAfterRun({ sim, keys, target, mix, timings, kills }, report);
  return report;
}

/** The state checks of state.ts once the run is over, into `report`. */
async function checkAfterRun(
  run: { sim: GeminiSimulator; keys: ChaosKeys; target: ChaosTarget; mix: FaultMix; timings: ReadonlyMap<string, Timed>; kills: readonly Kill[] },
  report: ChaosReport,
): Promise<void> {
  const { sim, keys, target } = run;
  // Attempts the Store may or may not have counted: a socket reset right after the status line
  // may reach the target as a failed connection (a relay fault, not counted for the key); an
  // attempt in flight when its relay or the target was killed may never have been reported.
  const inFlight = (request: RecordedRequest, kill: Kill) => {
    const timing = run.timings.get(lastUserText(request.body));
    if (timing === undefined || timing.startedAt > kill.at || (kill.hop !== null && kill.hop !== request.hop)) return false;
    return kill.unflushedSince === undefined ? timing.endedAt >= kill.at : timing.endedAt + flushMarginMs >= kill.unflushedSince;
  };
  const uncertain = (request: RecordedRequest) => (request.fault?.kind === "cut" && request.fault.mode === "reset") || run.kills.some((kill) => inFlight(request, kill));
  const perDayApplied = sim.requests.some((request) => run.mix.labelOf(request) === "429 per-day" && !uncertain(request));

  let pokes = 0;
  const poke = () => sendChaosRequest(target, `settle ${pokes++}`, "", true, AbortSignal.timeout(target.budgetMs)).catch(() => undefined);
  for (const check of [() => settleRelays(target, poke, settleMs), () => checkPool(target, keys, perDayApplied), () => checkCounters(sim, target, keys.all, uncertain)]) {
    const { problems, note } = await check();
    report.lostState.push(...problems);
    report.checked.push(note);
  }
}

/** The simulator's record of every attempt for `prompt`: fault, status, prefilled characters. */
function describeAttempts(sim: GeminiSimulator, prompt: string): string {
  return sim.requests
    .filter((request) => lastUserText(request.body) === prompt)
    .map((request) => {
      const contents = (request.body as { contents?: { role?: string; parts?: { text?: string }[] }[] }).contents ?? [];
      const prefill = contents.at(-1)?.role === "model" ? (contents.at(-1)?.parts ?? []).map((part) => part.text ?? "").join("").length : 0;
      return `[${request.fault ? JSON.stringify(request.fault).slice(0, 80) : "no fault"} hop ${request.hop ?? "-"} status ${request.status ?? "-"} prefill ${prefill}]`;
    })
    .join(" ");
}
