/**
 * Resume accounting: what happened to one answer (its summary) and running totals per isolate
 * (the counters on AppContext), for /status and usage views to show.
 */

/** How one answer was resumed. */
export interface ResumeSummary {
  /** Attempts after the first (continuations and restarts). */
  continuations: number;
  /** Of those, attempts that re-sent the original request (nothing visible yet). */
  restarts: number;
  /** Attempts that followed an empty reply. */
  emptyRetries: number;
  /** Visible characters delivered after the first seam. */
  recoveredCharacters: number;
  /** How the answer ended. */
  outcome: "complete" | "blocked" | "exhausted" | "failed" | "cancelled";
}

/** Running totals over the answers of this isolate or process. */
export class ResumeCounters {
  /** Answers served through the resume engine. */
  answers = 0;
  /** Answers that needed at least one continuation or restart. */
  resumed = 0;
  continuations = 0;
  restarts = 0;
  emptyRetries = 0;
  /** Resumed answers that were completed. */
  recovered = 0;
  /** Answers given up when the budget ran out (reported to the client as an error). */
  exhausted = 0;
  recoveredCharacters = 0;

  /** Adds one answer's summary. */
  record(summary: ResumeSummary): void {
    this.answers += 1;
    if (summary.continuations > 0) this.resumed += 1;
    this.continuations += summary.continuations;
    this.restarts += summary.restarts;
    this.emptyRetries += summary.emptyRetries;
    if (summary.continuations > 0 && summary.outcome === "complete") this.recovered += 1;
    if (summary.outcome === "exhausted") this.exhausted += 1;
    this.recoveredCharacters += summary.recoveredCharacters;
  }

  /** A plain copy, for JSON. */
  snapshot(): Record<string, number> {
    const { answers, resumed, continuations, restarts, emptyRetries, recovered, exhausted, recoveredCharacters } = this;
    return { answers, resumed, continuations, restarts, emptyRetries, recovered, exhausted, recoveredCharacters };
  }
}
