/** What one chaos run found, and how it is printed. */

/** Counts and findings of one chaos run; every list but the counts must be empty. */
export interface ChaosReport {
  target: string;
  requests: number;
  /** Whole answers with exactly one finishReason, text exactly as the model wrote it. */
  complete: number;
  /** Explicit errors by class (`HTTP 429 RESOURCE_EXHAUSTED`, `in-stream 502 UNAVAILABLE`, `connection lost to the SIGKILL`). */
  errors: Record<string, number>;
  /** Faults and key behaviours the simulator applied, by kind. */
  faults: Record<string, number>;
  /** Processes killed and restarted, with what was checked across each. */
  disruptions: string[];
  /** The state checks after the run, as passed or not. */
  checked: string[];
  wallMs: number;
  /** The longest a request may take (targets.ts), and the longest one took. */
  budgetMs: number;
  slowestMs: number;
  /** A 200 whose text is not the whole answer and that says nothing. */
  silentTruncations: string[];
  /** An error that is not a proper error in Gemini's protocol, or of a class no fault should cause. */
  wrongErrors: string[];
  /** A request that took longer than the budget. */
  hangs: string[];
  /** State that disagrees with what happened: counters, key states, relay circuits, a restart. */
  lostState: string[];
  /** A target that stopped answering. */
  crashes: string[];
}

/** Every finding that fails the run. */
export function failuresOf(report: ChaosReport): string[] {
  return [...report.silentTruncations, ...report.wrongErrors, ...report.hangs, ...report.lostState, ...report.crashes];
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, count) => sum + count, 0);
const listed = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([name, count]) => `${name} ${count}`)
    .join(", ");
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The report as printed by `npm run chaos` (at most `shown` findings). */
export function formatReport(report: ChaosReport, shown = 20): string {
  const lines = [
    `${report.target}: ${report.requests} requests in ${seconds(report.wallMs)}, slowest ${seconds(report.slowestMs)} (budget ${seconds(report.budgetMs)})`,
    `  applied ${total(report.faults)} faults: ${listed(report.faults)}`,
    ...report.disruptions.map((disruption) => `  ${disruption}`),
    `  complete ${report.complete}, explicit errors ${total(report.errors)}${total(report.errors) > 0 ? `: ${listed(report.errors)}` : ""}`,
    ...report.checked.map((note) => `  after the run: ${note}`),
    `  silent truncations ${report.silentTruncations.length}, wrong errors ${report.wrongErrors.length}, hangs ${report.hangs.length}, lost state ${report.lostState.length}, crashes ${report.crashes.length}`,
    ...failuresOf(report)
      .slice(0, shown)
      .map((failure) => `  ! ${failure}`),
  ];
  return lines.join("\n");
}
