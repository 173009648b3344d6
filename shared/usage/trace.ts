/**
 * What happened to one client request, gathered as it passes the layers: who the client is (the
 * access key, its model allow-list), the upstream attempts (scheduler), the tokens (generate
 * seam), and how it ended (the response leaving the app). Usage and the request log are written
 * from it once the response is over.
 *
 * Finding it: the protocol handlers pass the client request's AbortSignal down to `generate` and
 * `sendWithFailover` (they need it to stop upstream work when the client leaves), so the trace is
 * found through that signal, without a new parameter on every handler. A layer that derives its
 * own signal keeps the request id, which the first lookup binds to the trace.
 */
import { ForbiddenError } from "../errors.ts";
import type { UsageMetadata } from "../gemini/types.ts";
import type { GenerateEvent } from "../resume/generate.ts";
import type { BodyEnd } from "../streams.ts";
import { allowsModel } from "../access/access-keys.ts";
import { isModelName } from "../gemini/paths.ts";

/** The client a request is charged to. */
export interface ClientRef {
  /** Access key id; `env` for an AUTH_KEY key; `pass-through` for an open pass-through; empty when unauthenticated. */
  accessKey: string;
  /** Model allow-list; empty for every model. */
  models: readonly string[];
}

/** One upstream attempt as the scheduler saw it. */
export interface AttemptNote {
  key: string;
  relay: string;
  /** HTTP status, 0 for a connect error. */
  status: number;
  /** Classification kind (`ok`, `key-invalid`, `relay-fault`, …). */
  kind: string;
  reason?: string;
}

/** A finished request, ready for the usage recorder. */
export interface FinishedRequest {
  at: number;
  /** Arrival order in this isolate: ties of `at` within a millisecond keep their order in the log. */
  sequence: number;
  accessKey: string;
  model: string;
  /** The pool (or client) key of the last attempt, in clear: only ever hashed or masked later. */
  key: string | null;
  relay: string;
  status: number;
  /** True when the answer ended with an in-band error after a 200. */
  failedInBand: boolean;
  /**
   * True when no access key vouched for the caller (open pass-through) and Gemini refused the key
   * it brought: as unauthenticated as a wrong access key, so it is counted, not recorded.
   */
  ownKeyRefused: boolean;
  latencyMs: number;
  attempts: number;
  resumes: number;
  usage: UsageMetadata | null;
}

/** A handle the layers below the protocol handlers carry. */
export interface TraceHandle {
  signal?: AbortSignal | undefined;
  requestId?: string | undefined;
  /** Upstream path and query, when the handle is an attempt plan. */
  pathAndQuery?: string;
}

/** Counts traces in arrival order. */
let arrivals = 0;

/** The trace of one client request (see the module comment). */
export class RequestTrace {
  private readonly sequence = ++arrivals;
  client: ClientRef = { accessKey: "", models: [] };
  /** The model of the request: from the path first, then from what the scheduler was asked. */
  model: string;
  readonly attempts: AttemptNote[] = [];
  /** sendWithFailover calls for generate paths: one per answer, plus one per continuation. */
  private generateCalls = 0;
  private usage: UsageMetadata | null = null;
  private failedInBand = false;
  private done = false;
  /** The response body reports its own end (`reportsEnd`), so `observeResponse` need not watch it. */
  private bodyReports = false;
  private settle: (request: FinishedRequest) => void = () => undefined;
  /** Resolves once, when the response to the client is over (completed, failed or abandoned). */
  readonly finished: Promise<FinishedRequest>;

  constructor(
    readonly startedAt: number,
    model: string | null,
    private readonly clock: () => number,
  ) {
    this.model = model !== null && isModelName(model) ? model : "*";
    this.finished = new Promise((resolve) => (this.settle = resolve));
  }

  /** Called by the scheduler for each sendWithFailover call: enforces the allow-list, counts continuations. */
  upstreamCall(model: string, pathAndQuery: string): void {
    if (!allowsModel(this.client.models, model)) {
      throw new ForbiddenError(`This gemrelay access key may not use model ${model}.`);
    }
    // Only a model id reaches a record (usage rows, the log, the console): never arbitrary text.
    if (isModelName(model)) this.model = model;
    if (/:streamGenerateContent\b/.test(pathAndQuery)) this.generateCalls += 1;
  }

  /** Called by the scheduler after each attempt. */
  attempted(note: AttemptNote): void {
    this.attempts.push(note);
  }

  /** Notes a generate event on its way to the client: the usage of the last chunk, an in-band error. */
  noteEvent(event: GenerateEvent): void {
    // The client stream's usage is cumulative over the whole answer: the last one counts.
    if (event.kind === "chunk" && event.response.usageMetadata) this.usage = event.response.usageMetadata;
    else if (event.kind === "error") this.failedInBand = true;
  }

  /** Sets the usage of a request whose upstream is not a generate stream (a Live session's sum). */
  noteUsage(usage: UsageMetadata): void {
    this.usage = usage;
  }

  /**
   * For a 200 response whose body is made here and says itself how it ended (streams.ts,
   * `transformed`): what to tell that body, and `observeResponse` passes the response untouched.
   */
  reportsEnd(): (end: BodyEnd) => void {
    this.bodyReports = true;
    return (end) => {
      if (end === "failed") this.failedInBand = true;
      this.finish(end === "abandoned" ? 499 : 200);
    };
  }

  /**
   * Passes `response` on, finishing the trace when its body has been sent or abandoned. A trace
   * already finished (an answer handed over whole) or told by its body (`reportsEnd`) passes it
   * untouched: watching costs a stream and a response more per request.
   */
  observeResponse(response: Response): Response {
    if (this.done || this.bodyReports) return response;
    if (response.body === null) {
      this.finish(response.status);
      return response;
    }
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const next = await reader.read();
          if (next.done) {
            this.finish(response.status);
            controller.close();
          } else controller.enqueue(next.value);
        } catch (error) {
          this.failedInBand = true;
          this.finish(response.status);
          controller.error(error);
        }
      },
      cancel: (reason) => {
        // The client went away: nginx's 499, as the logs of most proxies say.
        this.finish(499);
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  }

  /** Ends the trace with the status the client got (the first call wins). */
  finish(status: number): void {
    if (this.done) return;
    this.done = true;
    const last = this.attempts.at(-1);
    this.settle({
      at: this.startedAt,
      sequence: this.sequence,
      accessKey: this.client.accessKey,
      model: this.model,
      key: last?.key ?? null,
      relay: last?.relay ?? "",
      status,
      failedInBand: this.failedInBand,
      ownKeyRefused: this.client.accessKey === "pass-through" && last?.kind === "key-invalid",
      latencyMs: Math.max(0, this.clock() - this.startedAt),
      attempts: this.attempts.length,
      resumes: Math.max(0, this.generateCalls - 1),
      usage: this.usage,
    });
  }
}

const bySignal = new WeakMap<AbortSignal, RequestTrace>();
/** Request ids bound on first lookup; removed when the trace finishes (strings cannot be weak keys). */
const byRequestId = new Map<string, RequestTrace>();

/** Makes `trace` findable from the request's signal. */
export function attachTrace(signal: AbortSignal, trace: RequestTrace): void {
  bySignal.set(signal, trace);
}

/** The trace of the request a handle belongs to, if it is a traced client request. */
export function traceOf(handle: TraceHandle): RequestTrace | undefined {
  const trace = (handle.signal && bySignal.get(handle.signal)) || (handle.requestId ? byRequestId.get(handle.requestId) : undefined);
  if (trace && handle.requestId && !byRequestId.has(handle.requestId)) {
    const requestId = handle.requestId;
    byRequestId.set(requestId, trace);
    void trace.finished.then(() => byRequestId.delete(requestId));
  }
  return trace;
}

/**
 * Hands over a response whose body is already whole (an assembled JSON answer): the request it
 * answers is over now, so the trace finishes here and `observeResponse` leaves the body alone.
 */
export function wholeResponse(request: Request, response: Response): Response {
  traceOf({ signal: request.signal })?.finish(response.status);
  return response;
}

/** For a streamed answer's body that reports its own end (`RequestTrace.reportsEnd`): what to tell, if the request is traced. */
export function endReporter(request: Request): ((end: BodyEnd) => void) | undefined {
  return traceOf({ signal: request.signal })?.reportsEnd();
}

/**
 * The generate seam's hook, taken before the first attempt so that the request id is bound to
 * the trace while the call still carries the client's signal (the resume engine gives each
 * attempt a signal of its own). Returns what to call with each event: noted for usage when the
 * call belongs to a traced request, nothing otherwise.
 */
export function observeUsage(handle: TraceHandle): (event: GenerateEvent) => void {
  const trace = traceOf(handle);
  return trace ? (event) => trace.noteEvent(event) : () => undefined;
}
