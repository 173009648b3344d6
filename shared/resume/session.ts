/**
 * The resume engine for one answer (DESIGN.md, Resume): attempts upstream one after another, each
 * judged (verdict.ts), each after the first a continuation (continuation.ts) sent through the
 * routing scheduler, their visible text stitched at the seams (stitch.ts) into one stream for the
 * client:
 * - a first attempt that needs nothing changed is forwarded event for event, `data` verbatim;
 * - one responseId and modelVersion (the first ones seen), usage summed over attempts;
 * - exactly one finishReason, on the last chunk; thoughts only before visible text starts;
 * - heartbeats while waiting; on exhaustion a final `error` event, never a silent end.
 */
import type { AppContext } from "../app.ts";
import { GemrelayError, UpstreamResponseError, UpstreamUnavailableError } from "../errors.ts";
import { parseGoogleError } from "../gemini/classify.ts";
import type { GenerateContentRequest } from "../gemini/types.ts";
import type { Background } from "../routing/pool-view.ts";
import { sendWithFailover } from "../routing/scheduler.ts";
import { expectsLongAnswer } from "../routing/stream-limits.ts";
import { StitchedAnswer, type AttemptText, type Step } from "./answer.ts";
import { UpstreamAttempt, type UpstreamItem } from "./attempt.ts";
import { readChunk } from "./chunk.ts";
import { continuationRequest } from "./continuation.ts";
import type { GenerateCall, GenerateEvent } from "./generate.ts";
import { Heartbeat, awaitWithHeartbeats, heartbeatDue } from "./heartbeat.ts";
import type { ResumePolicy } from "./policy.ts";
import { sentinelApplies, withSentinelInstruction } from "./sentinel.ts";
import type { ResumeSummary } from "./stats.ts";
import type { Verdict } from "./verdict.ts";

/** A verdict that calls for another attempt. */
type Unfinished = Extract<Verdict, { action: "continue" | "restart" }>;

/** How sending the next attempt went. */
type Reopened =
  | { kind: "opened"; attempt: UpstreamAttempt }
  | { kind: "failed"; verdict: Unfinished }
  /** Gemini refused the continuation itself (a 4xx): retrying would not help. */
  | { kind: "refused"; error: GemrelayError }
  | { kind: "stopped" };

/** How streaming one attempt ended. */
type AttemptOutcome = { kind: "done"; outcome: ResumeSummary["outcome"] } | { kind: "next"; verdict: Unfinished };

/** One answer's resume engine: `open()` the first attempt, then read `events()`. */
export class ResumeSession {
  readonly #call: GenerateCall;
  readonly #context: AppContext;
  readonly #background: Background;
  readonly #policy: ResumePolicy;
  /** The request as the first attempt sends it (the sentinel instruction added in sentinel mode). */
  readonly #request: GenerateContentRequest;
  readonly #started: number;
  readonly #heartbeat: Heartbeat;
  /** Every attempt's headers: the client's worth forwarding, and the body's JSON type. */
  readonly #headers: Headers;
  readonly #answer: StitchedAnswer;
  #attempts = 0;
  #live: UpstreamAttempt | null = null;
  /** The first attempt, opened; only the attempt: its Response (headers and all) is not needed while it streams. */
  #opened: UpstreamAttempt | null = null;
  #cancelled = false;
  #recoveredFrom: number | null = null;
  #reported = false;
  readonly #summary = { continuations: 0, restarts: 0, emptyRetries: 0 };

  constructor(call: GenerateCall, context: AppContext, background: Background) {
    this.#call = call;
    this.#context = context;
    this.#background = background;
    this.#policy = { ...context.config.resume };
    // Only the settings the request names: an undefined value must not erase a configured one.
    for (const [name, value] of Object.entries(call.resume ?? {})) if (value !== undefined) Object.assign(this.#policy, { [name]: value });
    const sentinel = this.#policy.sentinel && sentinelApplies(call.body);
    this.#request = sentinel ? withSentinelInstruction(call.body) : call.body;
    this.#answer = new StitchedAnswer({ continueOn: this.#policy.continueOn, sentinel, sentinelAttempts: this.#policy.sentinelAttempts });
    this.#started = context.clock();
    this.#heartbeat = new Heartbeat(this.#policy.heartbeatMs, context.clock);
    this.#headers = new Headers(call.headers);
    this.#headers.set("content-type", "application/json");
  }

  /**
   * Sends the first attempt. Throws before anything is streamed when it cannot start: a routing
   * error, or Gemini's own error answer, unchanged. A first attempt that stalls before its first
   * byte is sent again (within the budget).
   */
  async open(): Promise<void> {
    for (;;) {
      const attempt = this.#newAttempt();
      let response: Response | null;
      try {
        response = await attempt.open((signal) => this.#send(this.#request, signal));
      } catch (error) {
        attempt.close();
        throw error;
      }
      if (response === null) {
        attempt.close();
        const verdict: Unfinished = { action: "continue", reason: "stall" };
        if (!this.#mayContinue()) {
          this.#report("exhausted");
          throw this.#exhausted(verdict);
        }
        this.#announce(verdict);
        continue;
      }
      if (!response.ok) {
        const text = await response.text();
        attempt.close();
        throw new UpstreamResponseError(text, response.status, response.headers);
      }
      this.#opened = attempt;
      this.#heartbeat.touch();
      return;
    }
  }

  /** Stops everything: the client went away. */
  cancel(): void {
    this.#cancelled = true;
    this.#live?.close();
  }

  /** The client's events, until the answer is complete or given up. */
  async *events(): AsyncGenerator<GenerateEvent, void> {
    let opened = this.#opened;
    this.#opened = null;
    let verdict: Unfinished = { action: "continue", reason: "no-finish" };
    try {
      for (;;) {
        if (opened !== null) {
          const outcome = yield* this.#stream(opened);
          opened.close(outcome.kind === "done" && outcome.outcome === "complete");
          opened = null;
          if (outcome.kind === "done") return this.#report(outcome.outcome);
          verdict = outcome.verdict;
        }
        if (this.#stopped) return this.#report("cancelled");
        if (this.#answer.sentParts.length > 0) {
          yield { kind: "error", error: this.#notContinuable(verdict) };
          return this.#report("failed");
        }
        if (!this.#mayContinue()) {
          yield { kind: "error", error: this.#exhausted(verdict) };
          return this.#report("exhausted");
        }
        this.#announce(verdict);
        const next = yield* this.#reopen();
        if (next.kind === "stopped") return this.#report("cancelled");
        if (next.kind === "refused") {
          yield { kind: "error", error: next.error };
          return this.#report("failed");
        }
        if (next.kind === "failed") verdict = next.verdict;
        else opened = next.attempt;
      }
    } finally {
      this.#heartbeat.stop();
      opened?.close();
      this.#live?.close();
      if (!this.#reported) this.#report("cancelled");
    }
  }

  /** Sends the next attempt: a continuation of the visible text (the original request while there is none). */
  async *#reopen(): AsyncGenerator<GenerateEvent, Reopened> {
    const attempt = this.#newAttempt();
    const request = continuationRequest(this.#request, this.#answer.sent, this.#policy.mode);
    let response: Response | null;
    try {
      response = yield* awaitWithHeartbeats(
        attempt.open((signal) => this.#send(request, signal)),
        this.#heartbeat,
      );
    } catch (error) {
      attempt.close();
      if (this.#stopped) return { kind: "stopped" };
      this.#context.log({ level: "warn", event: "resume.attempt-failed", requestId: this.#call.requestId, attempt: this.#attempts, message: error instanceof Error ? error.message : String(error) });
      return { kind: "failed", verdict: { action: "continue", reason: "upstream-error" } };
    }
    if (response === null) {
      attempt.close();
      return { kind: "failed", verdict: { action: "continue", reason: "stall" } };
    }
    if (!response.ok) {
      const text = yield* awaitWithHeartbeats(response.text().catch(() => ""), this.#heartbeat);
      attempt.close();
      // 429 and 5xx already went through failover; anything else will not change on retry.
      if (response.status !== 429 && response.status < 500) return { kind: "refused", error: this.#refused(text, response.status) };
      return { kind: "failed", verdict: { action: "continue", reason: "upstream-error" } };
    }
    return { kind: "opened", attempt };
  }

  get #stopped(): boolean {
    return this.#cancelled || this.#call.signal?.aborted === true;
  }

  #mayContinue(): boolean {
    if (this.#stopped) return false;
    return this.#attempts - 1 < this.#policy.maxContinuations && this.#context.clock() - this.#started < this.#policy.budgetMs;
  }

  #newAttempt(): UpstreamAttempt {
    this.#attempts += 1;
    this.#live = new UpstreamAttempt({ firstByteMs: this.#policy.firstByteTimeoutMs, chunkMs: this.#policy.chunkTimeoutMs }, this.#call.signal);
    return this.#live;
  }

  /** One attempt through the scheduler: failover over (key × egress) before its first byte. */
  async #send(body: GenerateContentRequest, signal: AbortSignal): Promise<Response> {
    const call = this.#call;
    const plan = {
      requestId: call.requestId,
      model: call.model,
      method: "POST",
      pathAndQuery: `/${call.apiVersion}/models/${encodeURIComponent(call.model)}:streamGenerateContent?alt=sse`,
      headers: this.#headers,
      body: new TextEncoder().encode(JSON.stringify(body)).buffer as ArrayBuffer,
      signal,
      ...(call.clientKey ? { clientKey: call.clientKey } : {}),
      ...(call.stickyHash !== undefined ? { stickyHash: call.stickyHash } : {}),
      ...(expectsLongAnswer(call.model, call.body) ? { longAnswer: true } : {}),
    };
    const { response } = await sendWithFailover(plan, this.#context, this.#background);
    return response;
  }

  /** Streams one opened attempt to the client; says whether the answer is done. */
  async *#stream(attempt: UpstreamAttempt): AsyncGenerator<GenerateEvent, AttemptOutcome> {
    const text = this.#answer.beginAttempt(this.#attempts);
    let item: UpstreamItem | typeof heartbeatDue | null = null;
    let step: Step | null = null;
    for (;;) {
      // Let go of the last chunk before waiting for the next: a suspended generator keeps its
      // variables, and a chunk held that long (a streamed event's interval) outlives young GCs.
      item = step = null;
      // A plain race first: a generator per streamed event (awaitWithHeartbeats) cost more than the event.
      const read = attempt.next();
      item = await this.#heartbeat.race(read);
      if (item === heartbeatDue) item = yield* awaitWithHeartbeats(read, this.#heartbeat, true);
      step = this.#step(item, text);
      if (step.event !== null) {
        this.#heartbeat.touch();
        yield step.event;
      }
      const verdict = step.verdict;
      if (verdict === null) continue;
      if (verdict.action === "complete") return { kind: "done", outcome: "complete" };
      if (verdict.action !== "blocked") return { kind: "next", verdict };
      this.#context.log({ level: "warn", event: "resume.blocked", requestId: this.#call.requestId, attempt: text.number, reason: verdict.reason });
      return { kind: "done", outcome: "blocked" };
    }
  }

  /** One item read from the attempt, taken into the answer. */
  #step(item: UpstreamItem, text: AttemptText): Step {
    if (item.kind !== "data") return this.#answer.end(text, item.kind === "end" ? "closed" : item.kind === "stall" ? "stall" : "network-error");
    const chunk = readChunk(item.data);
    if (chunk.kind !== "chunk") return this.#answer.end(text, chunk.kind === "error" ? "upstream-error" : "unreadable");
    return this.#answer.take(chunk.response, item.data, text);
  }

  /** Logs and counts the attempt about to start after `verdict`. */
  #announce(verdict: Unfinished): void {
    const restart = this.#answer.sent.length === 0;
    this.#summary.continuations += 1;
    if (restart) this.#summary.restarts += 1;
    if (verdict.reason === "empty" || verdict.reason === "inside-thoughts") this.#summary.emptyRetries += 1;
    this.#recoveredFrom ??= this.#answer.sent.length;
    this.#context.log({
      level: "warn",
      event: "resume",
      requestId: this.#call.requestId,
      model: this.#call.model,
      attempt: this.#attempts + 1,
      action: restart ? "restart" : "continue",
      verdict: verdict.reason,
      characters: this.#answer.sent.length,
      mode: this.#policy.mode,
    });
  }

  /** Records how the answer ended (once). */
  #report(outcome: ResumeSummary["outcome"]): void {
    if (this.#reported) return;
    this.#reported = true;
    const summary: ResumeSummary = {
      ...this.#summary,
      recoveredCharacters: this.#recoveredFrom === null ? 0 : this.#answer.sent.length - this.#recoveredFrom,
      outcome,
    };
    this.#context.resume.record(summary);
    if (summary.continuations > 0) {
      this.#context.log({ level: outcome === "complete" ? "info" : "warn", event: "resume.end", requestId: this.#call.requestId, ...summary, characters: this.#answer.sent.length });
    }
    this.#call.onSummary?.(summary);
  }

  /** The terminal error when the budget is spent. */
  #exhausted(verdict: Unfinished): GemrelayError {
    const empty = this.#answer.sent.length === 0 && (verdict.reason === "empty" || verdict.reason === "inside-thoughts");
    const tries = this.#attempts;
    const message = empty
      ? `Gemini answered with an empty reply ${tries} times (finishReason STOP without any text); giving up.`
      : `Gemini's answer was cut off (${verdict.reason}) and could not be completed in ${tries} attempts; ${this.#answer.sent.length} characters were delivered.`;
    return new UpstreamUnavailableError(message, 502, [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: empty ? "EMPTY_ANSWER" : "ANSWER_INCOMPLETE",
        domain: "gemrelay",
        metadata: { verdict: verdict.reason, attempts: String(tries), deliveredCharacters: String(this.#answer.sent.length) },
      },
    ]);
  }

  /** The answer was cut after an image, audio or code execution part reached the client: it is not continued (answer.ts `sentParts`). */
  #notContinuable(verdict: Unfinished): GemrelayError {
    const parts = this.#answer.sentParts;
    const message = `Gemini's answer was cut off (${verdict.reason}) after ${parts.join(", ")} output had been sent; such an answer is not continued (a continuation cannot carry it, a restart would send it twice).`;
    return new UpstreamUnavailableError(message, 502, [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "ANSWER_INCOMPLETE",
        domain: "gemrelay",
        metadata: { verdict: verdict.reason, attempts: String(this.#attempts), deliveredCharacters: String(this.#answer.sent.length), deliveredParts: parts.join(",") },
      },
    ]);
  }

  /** Gemini refused a continuation request: say so in-band (the status line went out long ago). */
  #refused(text: string, status: number): GemrelayError {
    const error = parseGoogleError(text);
    const message = error?.message ?? `HTTP ${status}`;
    return new UpstreamUnavailableError(`Gemini refused to continue the answer (${error?.status ?? status}): ${message}`, 502);
  }
}
