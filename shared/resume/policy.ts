/**
 * How truncated answers are resumed: budgets, stall timeouts, the continuation style and which
 * finish reasons count as truncation. Read from RESUME_* (shared/config/env.ts); a request may
 * narrow it (GenerateCall.resume, e.g. from `x-gemrelay-*` headers).
 */

/** How a continuation asks the model to go on (REFERENCE.md §6). */
export type ContinuationMode =
  /** The visible text so far as the last `model` turn, no new user turn: fewest preambles. */
  | "prefill"
  /** The visible text as a `model` turn plus a short "continue" user turn. */
  | "user-turn";

/** Every continuation mode, for validation. */
export const continuationModes: readonly ContinuationMode[] = ["prefill", "user-turn"];

/** The resume policy of one request. */
export interface ResumePolicy {
  /** Upstream attempts after the first (continuations, restarts, empty-reply retries); 0 turns resume off. */
  maxContinuations: number;
  /** Wall time from the request's start after which no new attempt begins. */
  budgetMs: number;
  /** An attempt that delivers no chunk this long after it was sent has stalled. */
  firstByteTimeoutMs: number;
  /** An attempt that delivers no chunk this long after the previous one has stalled (thought chunks count). */
  chunkTimeoutMs: number;
  /** A heartbeat goes to the client after this long without any event (0: never). */
  heartbeatMs: number;
  mode: ContinuationMode;
  /** Finish reasons that mean "cut off, continue" (upper case); others end the answer as Gemini said. */
  continueOn: readonly string[];
  /** Sentinel mode: ask for an end marker and treat its absence as truncation (never with tools or JSON output). */
  sentinel: boolean;
  /** Sentinel mode: from this attempt on, a STOP without the marker is accepted. */
  sentinelAttempts: number;
}

/**
 * Defaults. OTHER and RECITATION are continued: OTHER is Gemini's "stopped for no stated reason"
 * and a continuation usually finishes the answer; RECITATION stops on quoted material and a
 * continuation can go on in other words. Safety-type reasons (SAFETY, PROHIBITED_CONTENT,
 * BLOCKLIST, SPII, IMAGE_SAFETY), LANGUAGE and UNEXPECTED_TOOL_CALL end the answer: asking again
 * costs tokens and ends the same way.
 */
export const defaultResumePolicy: ResumePolicy = {
  maxContinuations: 3,
  budgetMs: 300_000,
  firstByteTimeoutMs: 30_000,
  chunkTimeoutMs: 20_000,
  heartbeatMs: 10_000,
  mode: "prefill",
  continueOn: ["OTHER", "RECITATION"],
  sentinel: false,
  sentinelAttempts: 2,
};
