/**
 * The seam between the client protocols (Gemini native, OpenAI) and the upstream: one call that
 * turns a generate request into a stream of Gemini answer events. Upstream is always called with
 * `streamGenerateContent?alt=sse`; routing and failover apply to every attempt, and truncated
 * answers are resumed inside the same stream (session.ts).
 */
import type { AppContext } from "../app.ts";
import { InternalError, type GemrelayError } from "../errors.ts";
import type { GenerateContentRequest, GenerateContentResponse } from "../gemini/types.ts";
import type { Background } from "../routing/pool-view.ts";
import type { ResumePolicy } from "./policy.ts";
import { ResumeSession } from "./session.ts";
import type { ResumeSummary } from "./stats.ts";
import { observeUsage, traceOf } from "../usage/trace.ts";
import { applyModelPolicy } from "../policy/model-requests.ts";
import type { PullSource } from "../streams.ts";

/** A generate request, independent of the protocol the client spoke. */
export interface GenerateCall {
  requestId: string;
  /** Model id without `models/`. */
  model: string;
  /** API version segment of the upstream path (`v1beta`, `v1`, `v1alpha`). */
  apiVersion: string;
  body: GenerateContentRequest;
  /** Client headers worth forwarding (x-goog-api-client). */
  headers: Headers;
  /** Pass-through: the client's own Gemini key. */
  clientKey?: string;
  stickyHash?: number;
  signal?: AbortSignal;
  /** This request's resume settings over the configured policy (see resumeOverrides). */
  resume?: Partial<ResumePolicy>;
  /** Called once when the answer has ended, with how it was resumed (e.g. for a response header). */
  onSummary?: (summary: ResumeSummary) => void;
}

/** What the client stream carries, in order. */
export type GenerateEvent =
  /** An answer chunk; `data` is its JSON text, forwarded verbatim when nothing had to change. */
  | { kind: "chunk"; data: string; response: GenerateContentResponse }
  /** Nothing to send yet but the attempt is alive (keep the client connection open). */
  | { kind: "heartbeat" }
  /** The answer could not be completed after it started: the terminal in-band signal. */
  | { kind: "error"; error: GemrelayError };

/**
 * Sends `call` upstream and returns its events. Throws a GemrelayError before anything is
 * streamed when no attempt succeeds (the caller answers with a status line); after that, failures
 * arrive as a final `error` event. A truncated answer is continued inside the stream.
 */
export async function generate(request: GenerateCall, context: AppContext, background: Background): Promise<PullSource<GenerateEvent>> {
  // The model policy (disabled models, aliases, defaults, injected instructions) for both protocols.
  const accessKey = traceOf(request)?.client.accessKey ?? "";
  const call: GenerateCall = {
    ...request,
    ...applyModelPolicy(await context.policies.models.current(), { model: request.model, body: request.body, accessKey }),
    onSummary: (summary) => {
      if (summary.outcome === "exhausted") context.alerts.exhaustedAnswer(background);
      request.onSummary?.(summary);
    },
  };
  // The usage hook (usage/trace.ts): tokens and in-band errors of traced client requests.
  const observe = observeUsage(call);
  const session = new ResumeSession(call, context, background);
  await session.open();
  const events = session.events();
  let failed = false;
  // Read straight from the session, without a ReadableStream of its own: one stream less per
  // answer and per event. Each event is produced when the reader asks for it, never ahead.
  return {
    async read() {
      if (failed) return { done: true, value: undefined };
      let event: GenerateEvent;
      try {
        const next = await events.next();
        if (next.done) return { done: true, value: undefined };
        event = next.value;
      } catch (error) {
        // A bug must still end the stream with a clear signal, never a silent close.
        context.log({ level: "error", event: "resume.failed", requestId: call.requestId, message: error instanceof Error ? error.message : String(error) });
        event = { kind: "error", error: new InternalError(call.requestId) };
        failed = true;
      }
      observe(event);
      return { done: false, value: event };
    },
    async cancel() {
      session.cancel();
      void events.return(undefined).catch(() => undefined);
    },
  };
}
