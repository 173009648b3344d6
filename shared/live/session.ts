/**
 * The Live API on the resume worker (`ai.live.connect`): a WebSocket pass-through with the
 * gateway's checks. At the upgrade: the path, the access key (or an ephemeral token gemrelay
 * made), an egress that can carry WebSockets — refusals are plain HTTP answers, before any
 * socket opens. Then the client's setup: the model policy and the access key's models (a close
 * 1008 naming the model), and the attempt scheduler opens the upstream session with a pool key,
 * trying another key when Google refuses one (upstream.ts), before the client's `setupComplete`.
 * From then on frames go both ways as they come, and a close on one side closes the other with
 * its code and reason. One usage row per session, with the tokens Google reported (usage.ts).
 */
import type { AppContext } from "../app.ts";
import { AuthenticationError, GemrelayError, SetupError } from "../errors.ts";
import { resolveClient } from "../access/resolve.ts";
import { parseGoogleError } from "../gemini/classify.ts";
import type { Background } from "../routing/pool-view.ts";
import { sendWithFailover, type AttemptPlan } from "../routing/scheduler.ts";
import { RequestTrace, attachTrace } from "../usage/trace.ts";
import { closeForError, closeReason, sendableCode, type LiveClose } from "./closes.ts";
import { admitSetup, parseSetup } from "./setup.ts";
import type { LiveFrame, LivePlatform, LiveSocket } from "./socket.ts";
import { findToken, poolKeyById } from "./tokens.ts";
import { liveEgresses, openedSession } from "./upstream.ts";
import { LiveUsageMeter } from "./usage.ts";

/**
 * `/ws/google.ai.generativelanguage.{version}.GenerativeService.{method}`. @google/genai joins it
 * to a base URL that ends in `/`, so it arrives as `//ws/…`; Google takes both.
 */
const livePathPattern = /^\/\/?ws\/google\.ai\.generativelanguage\.(v1beta|v1alpha|v1)\.GenerativeService\.(BidiGenerateContent|BidiGenerateContentConstrained)$/;

/** Whether `pathname` is a Live API path (the app mounts the handler on these). */
export function isLivePath(pathname: string): boolean {
  return livePathPattern.test(pathname);
}

/** Client headers passed on to Gemini. */
const forwardedHeaders = ["x-goog-api-client", "user-agent"];

/** Who a session is charged to and how its upstream key is chosen. */
interface Caller {
  /** A fixed key: the client's own (pass-through) or the one that made its ephemeral token. */
  clientKey?: string;
}

/** The caller of an upgrade, or the error to answer it with. */
async function identify(request: Request, url: URL, constrained: boolean, context: AppContext, trace: RequestTrace, background: Background): Promise<Caller> {
  if (constrained) {
    const token = url.searchParams.get("access_token");
    const record = token ? await findToken(context, token, background) : null;
    if (record === null) throw new AuthenticationError("Unknown or expired ephemeral token: create one through gemrelay with POST /v1alpha/auth_tokens.");
    const key = await poolKeyById(context, record.keyId, background);
    if (key === null) throw new SetupError("The Gemini key that made this ephemeral token is no longer in the pool: create a new token.");
    trace.client = record.client;
    return { clientKey: key };
  }
  const verdict = await resolveClient(request, url, context, trace, background);
  if ("error" in verdict) throw verdict.error;
  return verdict.identity.mode === "pass-through" ? { clientKey: verdict.identity.key } : {};
}

/**
 * Handles an upgrade on a Live path: an HTTP error answer, or the platform's upgrade response
 * with the session running behind it.
 */
export async function handleLive(request: Request, context: AppContext, platform: LivePlatform | undefined, background: Background): Promise<Response> {
  const url = new URL(request.url);
  const match = livePathPattern.exec(url.pathname);
  if (match === null) throw new GemrelayError(`No route for ${url.pathname}.`, 404);
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw new GemrelayError("The Live API is a WebSocket endpoint: connect with an Upgrade: websocket request (ai.live.connect).", 426);
  }
  const egresses = liveEgresses(context.egresses);
  if (platform === undefined || egresses.length === 0) {
    throw new UnavailableLive();
  }
  // The session outlives the upgrade request: on Cloudflare its waitUntil may no longer take work.
  const detached: Background = (task) => {
    try {
      background(task);
    } catch {
      void task.catch(() => undefined);
    }
  };
  const trace = new RequestTrace(context.clock(), null, context.clock);
  const session = new AbortController();
  attachTrace(session.signal, trace);
  const caller = await identify(request, url, match[2] === "BidiGenerateContentConstrained", context, trace, detached);

  const { socket: client, response } = await platform.accept(request);
  const query = new URLSearchParams(url.search);
  query.delete("key");
  const headers = new Headers();
  for (const name of forwardedHeaders) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const search = query.toString();
  const relay = new LiveRelay(client, { ...context, egresses }, trace, session, detached);
  relay.start({ pathAndQuery: url.pathname.replace(/^\/+/, "/") + (search ? `?${search}` : ""), headers, caller });
  return response;
}

/** The 503 for a deployment whose egresses cannot carry WebSockets. */
class UnavailableLive extends GemrelayError {
  constructor() {
    // The relays' addresses stay out of it: this answer comes before the caller is known.
    super("The Live API needs an egress that carries WebSockets, and this deployment's cannot (Netlify and Vercel relays cannot). See /health (live).", 503);
  }
}

/** One running session between a client socket and, once set up, an upstream one. */
class LiveRelay {
  private upstream: LiveSocket | null = null;
  /** Client frames that came while the upstream session was being opened. */
  private readonly pending: LiveFrame[] = [];
  private setupSeen = false;
  private readonly meter = new LiveUsageMeter();
  private ended = false;

  constructor(
    private readonly client: LiveSocket,
    private readonly context: AppContext,
    private readonly trace: RequestTrace,
    private readonly session: AbortController,
    private readonly background: Background,
  ) {}

  start(target: { pathAndQuery: string; headers: Headers; caller: Caller }): void {
    this.client.listen({
      message: (frame) => {
        if (this.upstream) return this.upstream.send(frame);
        if (this.setupSeen) return void this.pending.push(frame);
        this.setupSeen = true;
        void this.open(frame, target).catch((error: unknown) => this.refuse(error));
      },
      close: (code, reason) => {
        this.session.abort();
        this.upstream?.close(sendableCode(code), reason);
        this.finish(code === 1000 || code === 1005 || code === 1001 ? 200 : 499);
      },
    });
  }

  /** Checks the setup, opens the upstream session through the scheduler, then relays. */
  private async open(frame: LiveFrame, target: { pathAndQuery: string; headers: Headers; caller: Caller }): Promise<void> {
    const setup = parseSetup(frame);
    const admitted = admitSetup(await this.context.policies.models.current(), setup);
    this.trace.model = admitted.model;
    const plan: AttemptPlan = {
      requestId: crypto.randomUUID(),
      model: admitted.model,
      method: "GET",
      pathAndQuery: target.pathAndQuery,
      headers: target.headers,
      body: new TextEncoder().encode(admitted.text).buffer,
      signal: this.session.signal,
    };
    if (target.caller.clientKey !== undefined) plan.clientKey = target.caller.clientKey;
    const { response } = await sendWithFailover(plan, this.context, this.background);
    const opened = openedSession(response);
    if (opened === undefined) {
      const text = await response.text();
      const message = parseGoogleError(text)?.message ?? `Gemini refused the Live session (HTTP ${response.status}).`;
      throw new GemrelayError(message, response.status);
    }
    if (this.ended) return opened.socket.close(1000, "");
    this.upstream = opened.socket;
    this.client.send(opened.first);
    for (const pending of this.pending.splice(0)) opened.socket.send(pending);
    opened.socket.listen({
      message: (data) => {
        this.client.send(data);
        this.meter.observe(data);
      },
      close: (code, reason) => {
        this.client.close(sendableCode(code), closeReason(reason));
        this.finish(code === 1000 || code === 1005 ? 200 : code === 1011 ? 503 : 400);
      },
    });
  }

  /** Closes the client with what went wrong; an unexpected exception is logged, never sent. */
  private refuse(error: unknown): void {
    let close: LiveClose;
    if (error instanceof GemrelayError) close = closeForError(error);
    else {
      this.context.log({ level: "error", event: "live.session", message: String(error) });
      close = { code: 1011, reason: "Internal error in gemrelay; the details are in its log." };
    }
    this.client.close(close.code, close.reason);
    this.finish(error instanceof GemrelayError ? error.status : 500);
  }

  /** Ends the session once: its usage row. */
  private finish(status: number): void {
    if (this.ended) return;
    this.ended = true;
    this.session.abort();
    const usage = this.meter.usage();
    if (usage !== null) this.trace.noteUsage(usage);
    this.trace.finish(status);
    this.background(this.trace.finished.then((finished) => this.context.admin.usage.add(finished)));
  }
}
