/**
 * The verdict on one upstream attempt: complete, continue, restart or blocked, from what the
 * attempt showed (REFERENCE.md §1 and §6). The observer collects the signals chunk by chunk;
 * `judgeAttempt` turns them into a decision and never looks at the wire itself.
 */
import type { GenerateContentResponse } from "../gemini/types.ts";

/** How an attempt's stream ended. */
export type AttemptEnding =
  /** A chunk carried a finishReason (or a prompt block). */
  | "finished"
  /** The body ended cleanly without a finishReason. */
  | "closed"
  /** The connection broke (reset, aborted body). */
  | "network-error"
  /** An `{"error": …}` object arrived inside the 200 stream (e.g. 503 overloaded). */
  | "upstream-error"
  /** No chunk within the first-byte or between-chunk timeout. */
  | "stall"
  /** A chunk that is not a GenerateContentResponse. */
  | "unreadable";

/** What one attempt showed. */
export interface AttemptSignals {
  ending: AttemptEnding;
  finishReason?: string;
  blockReason?: string;
  /** Visible (non-thought) characters this attempt produced. */
  visibleCharacters: number;
  /** Visible characters the client had before this attempt began. */
  priorVisibleCharacters: number;
  /** Answer content other than text (an image, executable code): a reply with it is not empty. */
  otherContent: boolean;
  /** Any functionCall part: such an answer is never continued (it would run the tool twice). */
  functionCall: boolean;
  /** The last content part was a thought: the model stopped while thinking. */
  endedInThoughts: boolean;
  /** Sentinel mode only: whether the end marker was seen. */
  sentinel?: "seen" | "missing";
}

/** Why an attempt is continued. */
export type TruncationReason =
  | "no-finish"
  | "network-error"
  | "upstream-error"
  | "stall"
  | "unreadable"
  | "empty"
  | "empty-continuation"
  | "inside-thoughts"
  | "abnormal-finish"
  | "missing-sentinel";

/** The decision for one attempt. */
export type Verdict =
  /** The answer is done: forward the finish as Gemini sent it. */
  | { action: "complete"; reason: "finished" | "function-call" | "final-finish" }
  /** Cut off: ask for the rest (a continuation; the original request when nothing is visible yet). */
  | { action: "continue"; reason: TruncationReason }
  /** Send the original request again (only while nothing visible reached the client). */
  | { action: "restart"; reason: "malformed-function-call" }
  /** Gemini refused the prompt (`promptFeedback.blockReason`): terminal, reported to the client. */
  | { action: "blocked"; reason: string };

/** The policy part the verdict depends on. */
export interface VerdictPolicy {
  /** Finish reasons to continue (see ResumePolicy.continueOn). */
  continueOn: readonly string[];
  /** Sentinel mode: accept a STOP without the marker (after enough attempts). */
  acceptMissingSentinel?: boolean;
  /** Accept an empty STOP on a continuation as "nothing to add" (after one was already retried). */
  acceptEmptyContinuation?: boolean;
}

const endingReasons: Record<Exclude<AttemptEnding, "finished">, TruncationReason> = {
  closed: "no-finish",
  "network-error": "network-error",
  "upstream-error": "upstream-error",
  stall: "stall",
  unreadable: "unreadable",
};

/** Decides what to do after an attempt. */
export function judgeAttempt(signals: AttemptSignals, policy: VerdictPolicy): Verdict {
  if (signals.blockReason !== undefined) return { action: "blocked", reason: signals.blockReason };
  if (signals.functionCall) return { action: "complete", reason: "function-call" };
  const finish = signals.finishReason;
  if (finish === undefined || signals.ending !== "finished") {
    return { action: "continue", reason: signals.ending === "finished" ? "no-finish" : endingReasons[signals.ending] };
  }
  if (finish === "MALFORMED_FUNCTION_CALL") return { action: "restart", reason: "malformed-function-call" };
  // The user's own limit: a continuation would overrun it.
  if (finish === "MAX_TOKENS") return { action: "complete", reason: "finished" };
  if (finish === "STOP") {
    if (signals.priorVisibleCharacters + signals.visibleCharacters === 0 && !signals.otherContent) {
      return { action: "continue", reason: signals.endedInThoughts ? "inside-thoughts" : "empty" };
    }
    // After visible text, an empty STOP may be "nothing to add" or Gemini's empty-reply bug: ask
    // once more before believing it, so a truncated answer is not passed off as whole.
    if (signals.visibleCharacters === 0 && !signals.otherContent && policy.acceptEmptyContinuation !== true) {
      return { action: "continue", reason: "empty-continuation" };
    }
    const missingMarker = signals.sentinel === "missing" && signals.visibleCharacters > 0;
    if (missingMarker && policy.acceptMissingSentinel !== true) return { action: "continue", reason: "missing-sentinel" };
    return { action: "complete", reason: "finished" };
  }
  if (policy.continueOn.includes(finish)) return { action: "continue", reason: "abnormal-finish" };
  return { action: "complete", reason: "final-finish" };
}

/** Collects an attempt's signals from its chunks. */
export class AttemptObserver {
  #visibleCharacters = 0;
  #functionCall = false;
  #otherContent = false;
  #endedInThoughts = false;
  #finishReason: string | undefined;
  #blockReason: string | undefined;

  constructor(private readonly priorVisibleCharacters: number) {}

  /** Takes in one chunk. */
  observe(response: GenerateContentResponse): void {
    const blockReason = response.promptFeedback?.blockReason;
    if (blockReason !== undefined) this.#blockReason = blockReason;
    const candidate = response.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      if (part.thought === true) {
        this.#endedInThoughts = true;
      } else if (typeof part.text === "string") {
        this.#visibleCharacters += part.text.length;
        // An empty text part (Gemini 3's terminal signature part) says nothing about thinking.
        if (part.text.length > 0) this.#endedInThoughts = false;
      } else if (part.functionCall !== undefined) {
        this.#functionCall = true;
        this.#endedInThoughts = false;
      } else {
        this.#otherContent = true;
        this.#endedInThoughts = false;
      }
    }
    if (candidate?.finishReason !== undefined) this.#finishReason = candidate.finishReason;
  }

  /** Visible characters seen so far in this attempt. */
  get visibleCharacters(): number {
    return this.#visibleCharacters;
  }

  /** The signals, for an attempt that ended in `ending`. */
  signals(ending: AttemptEnding, sentinel?: "seen" | "missing"): AttemptSignals {
    const signals: AttemptSignals = {
      ending,
      visibleCharacters: this.#visibleCharacters,
      priorVisibleCharacters: this.priorVisibleCharacters,
      otherContent: this.#otherContent,
      functionCall: this.#functionCall,
      endedInThoughts: this.#endedInThoughts,
    };
    if (this.#finishReason !== undefined) signals.finishReason = this.#finishReason;
    if (this.#blockReason !== undefined) signals.blockReason = this.#blockReason;
    if (sentinel !== undefined) signals.sentinel = sentinel;
    return signals;
  }
}
