/**
 * One answer as the client sees it, assembled from the chunks of successive attempts: visible
 * text stitched at the seams, thoughts only before the visible answer, one identity
 * (responseId, modelVersion: the first seen), usage summed over attempts, and exactly one
 * finishReason — the complete attempt's. A chunk that needs no change keeps its `data` verbatim.
 */
import type { Candidate, GenerateContentResponse, Part, UsageMetadata } from "../gemini/types.ts";
import { hasIdentity, syntheticChunk, withCandidate, withIdentity, withParts, withoutFinish, type AnswerIdentity } from "./chunk.ts";
import type { GenerateEvent } from "./generate.ts";
import { Seam } from "./stitch.ts";
import { addUsage } from "./usage.ts";
import { AttemptObserver, judgeAttempt, type AttemptEnding, type TruncationReason, type Verdict } from "./verdict.ts";
import { VisibleText } from "./visible-text.ts";

/** What the verdicts depend on (from the resume policy). */
export interface AnswerSettings {
  /** Finish reasons to continue. */
  continueOn: readonly string[];
  /** Sentinel mode is on for this request. */
  sentinel: boolean;
  /** Sentinel mode: from this attempt on, a STOP without the marker is accepted. */
  sentinelAttempts: number;
}

/** One attempt's part of the answer. */
export interface AttemptText {
  number: number;
  observer: AttemptObserver;
  text: VisibleText;
  /** Thoughts of a continuation come after visible text: never forwarded. */
  dropThoughts: boolean;
  /** The attempt's latest (cumulative) usage. */
  usage: UsageMetadata | undefined;
}

/** What one upstream chunk gives: the client's event (null: nothing to send) and, on a finish, the verdict. */
export interface Step {
  event: GenerateEvent | null;
  verdict: Verdict | null;
}

/** Whether a part is answer text (not a thought, not a tool call or media). */
function isAnswerText(part: Part): part is Part & { text: string } {
  return typeof part.text === "string" && part.thought !== true && part.functionCall === undefined && part.inlineData === undefined;
}

/** `parts` with `text` added after the last answer text (before a terminal signature part). */
function appendText(parts: Part[], text: string): Part[] {
  const result = [...parts];
  for (let index = result.length - 1; index >= 0; index--) {
    const part = result[index];
    if (part === undefined || !isAnswerText(part)) continue;
    if (part.text === "" && part.thoughtSignature !== undefined) {
      result.splice(index, 0, { text });
      return result;
    }
    result[index] = { ...part, text: part.text + text };
    return result;
  }
  result.push({ text });
  return result;
}

/** Whether text could be a whole answer: it ends a sentence, a line, a quote, a bracket or a code fence. */
export function endsLikeFinished(text: string): boolean {
  return /(?:[.!?。！？…:;)\]}"'`*>|~]|\n)\s*$/u.test(text);
}

/** The client's answer across attempts. */
export class StitchedAnswer {
  /** Visible text the client has been sent. */
  #sent = "";
  /** Kinds of the non-text output parts (inline data, code execution, …) the client has been sent, in order of first sight. */
  readonly #sentParts: string[] = [];
  /** Empty STOPs seen on continuations; the second one is believed. */
  #emptyContinuations = 0;
  #lastContinueReason: TruncationReason | undefined;
  #identity: AnswerIdentity = {};
  /** Final usage of the attempts that ended before the current one, summed. */
  #usageOffset: UsageMetadata | undefined;

  constructor(private readonly settings: AnswerSettings) {}

  /** The visible text the client has. */
  get sent(): string {
    return this.#sent;
  }

  /**
   * The kinds of non-text output parts the client has (`inlineData`, `executableCode`, …), empty
   * when it has text only. Such an answer is never continued nor restarted: a continuation can
   * carry only text (an image or audio re-sent as a model turn is not a prefill Gemini continues
   * from), and a restart would send the client the part a second time (README, Resume).
   */
  get sentParts(): readonly string[] {
    return this.#sentParts;
  }

  /** Starts attempt `number`: after visible text it is a continuation, stitched at its seam. */
  beginAttempt(number: number): AttemptText {
    const continuing = this.#sent.length > 0;
    return {
      number,
      observer: new AttemptObserver(this.#sent.length),
      text: new VisibleText(continuing ? new Seam(this.#sent) : null, this.settings.sentinel),
      dropThoughts: continuing,
      usage: undefined,
    };
  }

  /** Takes one upstream chunk of `attempt`. */
  take(response: GenerateContentResponse, data: string, attempt: AttemptText): Step {
    const step = this.#take(response, data, attempt);
    if (step.verdict?.action === "continue" || step.verdict?.action === "restart") this.#usageOffset = addUsage(this.#usageOffset, attempt.usage);
    return step;
  }

  /** `attempt`'s stream ended without a finish (`ending`): the verdict, and the event that completes a tool call. */
  end(attempt: AttemptText, ending: AttemptEnding): Step & { verdict: Verdict } {
    const verdict = this.#judge(attempt, ending);
    if (verdict.action === "complete") {
      // A tool call whose finishReason never came: the answer is whole, say so once.
      const held = attempt.text.finish();
      this.#sent += held;
      const fields = held.length > 0 ? { parts: [{ text: held }], finishReason: "STOP" } : { finishReason: "STOP" };
      return { event: this.#event(syntheticChunk(fields, this.#identity, addUsage(this.#usageOffset, attempt.usage))), verdict };
    }
    if (verdict.action !== "blocked") this.#usageOffset = addUsage(this.#usageOffset, attempt.usage);
    return { event: null, verdict };
  }

  #judge(attempt: AttemptText, ending: AttemptEnding): Verdict {
    const verdict = judgeAttempt(attempt.observer.signals(ending, attempt.text.sentinel), {
      continueOn: this.settings.continueOn,
      acceptMissingSentinel: attempt.number >= this.settings.sentinelAttempts,
      // A whole answer that lacked only the sentinel marker is confirmed by an empty continuation;
      // otherwise a second empty one is believed only where the text could have ended. Text cut
      // mid-word stays truncated whatever the model says, until the continuation budget runs out.
      acceptEmptyContinuation:
        this.#lastContinueReason === "missing-sentinel" || (this.#emptyContinuations > 0 && endsLikeFinished(this.#sent)),
    });
    if (verdict.action === "continue") {
      if (verdict.reason === "empty-continuation") this.#emptyContinuations += 1;
      this.#lastContinueReason = verdict.reason;
    }
    // A restart would repeat what the client already has: end with Gemini's finish instead.
    if (verdict.action === "restart" && (this.#sent.length > 0 || this.#sentParts.length > 0)) return { action: "complete", reason: "final-finish" };
    return verdict;
  }

  /** `take` before the usage bookkeeping. */
  #take(response: GenerateContentResponse, data: string, attempt: AttemptText): Step {
    attempt.observer.observe(response);
    if (response.usageMetadata !== undefined) attempt.usage = response.usageMetadata;
    this.#learnIdentity(response);
    const blockReason = response.promptFeedback?.blockReason;
    if (blockReason !== undefined) {
      const verdict: Verdict = { action: "blocked", reason: blockReason };
      // After visible text the block can only be told as the answer's end, in Gemini's own words.
      if (this.#sent.length > 0) return { event: this.#event(syntheticChunk({ finishReason: blockReason }, this.#identity, addUsage(this.#usageOffset, attempt.usage))), verdict };
      return { event: this.#forward(response, data, false), verdict };
    }
    const candidate = response.candidates?.[0];
    if (candidate === undefined) return { event: this.#forward(response, data, false), verdict: null };

    const original = candidate.content?.parts;
    let parts = original === undefined ? undefined : this.#filterParts(original, attempt);
    let changed = parts !== original;
    let next: Candidate = candidate;
    let verdict: Verdict | null = null;
    if (candidate.finishReason !== undefined) {
      verdict = this.#judge(attempt, "finished");
      if (verdict.action === "complete") {
        const held = attempt.text.finish();
        if (held.length > 0) {
          this.#sent += held;
          parts = appendText(parts ?? [], held);
          changed = true;
        }
      } else {
        next = withoutFinish(candidate);
        changed = true;
      }
    }
    if (!changed) return { event: this.#forward(response, data, false), verdict };
    if (parts !== undefined) next = withParts(next, parts);
    const rewritten = withCandidate(response, next);
    // Nothing left to say (held text, dropped thoughts): skip the chunk; the next carries the usage.
    const empty = (parts === undefined || parts.length === 0) && next.finishReason === undefined;
    return { event: empty ? null : this.#forward(rewritten, data, true), verdict };
  }

  /** The parts of a chunk for the client; the same array when nothing changed. */
  #filterParts(parts: Part[], attempt: AttemptText): Part[] {
    const result: Part[] = [];
    let changed = false;
    for (const part of parts) {
      if (part.thought === true) {
        if (attempt.dropThoughts) changed = true;
        else result.push(part);
        continue;
      }
      if (isAnswerText(part)) {
        const released = attempt.text.push(part.text);
        this.#sent += released;
        if (released === part.text) {
          result.push(part);
          continue;
        }
        changed = true;
        // Keep a signature even when its text was all overlap: it belongs to this answer.
        if (released.length > 0 || part.thoughtSignature !== undefined) result.push({ ...part, text: released });
        continue;
      }
      // A tool call or media part ends the text before it: release what is held, in order. The
      // part itself is never held nor rewritten: inline data goes out as Gemini sent it.
      const held = attempt.text.finish();
      if (held.length > 0) {
        this.#sent += held;
        result.push({ text: held });
        changed = true;
      }
      this.#noteOutputPart(part);
      result.push(part);
    }
    return changed ? result : parts;
  }

  /** Remembers the kind of a non-text output part going to the client (a function call is not one: it completes the answer). */
  #noteOutputPart(part: Part): void {
    if (part.functionCall !== undefined) return;
    const kind = Object.keys(part).find((name) => name !== "thoughtSignature" && name !== "thought" && name !== "text") ?? "part";
    if (!this.#sentParts.includes(kind)) this.#sentParts.push(kind);
  }

  /** The first responseId and modelVersion seen become the answer's. */
  #learnIdentity(response: GenerateContentResponse): void {
    if (this.#identity.responseId === undefined && response.responseId !== undefined) this.#identity.responseId = response.responseId;
    if (this.#identity.modelVersion === undefined && response.modelVersion !== undefined) this.#identity.modelVersion = response.modelVersion;
  }

  /** A chunk event: `data` verbatim when nothing changed, else the rewritten chunk serialized. */
  #forward(response: GenerateContentResponse, data: string, changed: boolean): GenerateEvent {
    let result = response;
    if (!hasIdentity(result, this.#identity)) {
      result = withIdentity(result, this.#identity);
      changed = true;
    }
    if (this.#usageOffset !== undefined && result.usageMetadata !== undefined) {
      result = { ...result, usageMetadata: addUsage(this.#usageOffset, result.usageMetadata) };
      changed = true;
    }
    return changed ? this.#event(result) : { kind: "chunk", data, response };
  }

  #event(response: GenerateContentResponse): GenerateEvent {
    return { kind: "chunk", data: JSON.stringify(response), response };
  }
}
