/**
 * Calls to Gemini that are not generate calls (models, embeddings, Gemini's own OpenAI endpoint)
 * go through the attempt scheduler like native requests: same key pool, relays and failover.
 */
import type { AppContext } from "../app.ts";
import type { ClientIdentity } from "../auth.ts";
import { GemrelayError, UpstreamResponseError } from "../errors.ts";
import type { Background } from "../routing/pool-view.ts";
import { sendWithFailover, type AttemptPlan } from "../routing/scheduler.ts";

/** One upstream call. */
export interface UpstreamCall {
  method: string;
  pathAndQuery: string;
  /** Model the call is charged to for cooldowns; `*` when none. */
  model: string;
  body?: ArrayBuffer | null;
  /** Content type of `body`; JSON unless said otherwise. */
  contentType?: string;
  signal?: AbortSignal;
}

/** Sends `call` with failover; the upstream Response, whatever its status. */
export async function sendUpstream(call: UpstreamCall, identity: ClientIdentity, context: AppContext, background: Background): Promise<Response> {
  const plan: AttemptPlan = {
    requestId: crypto.randomUUID(),
    model: call.model,
    method: call.method,
    pathAndQuery: call.pathAndQuery,
    headers: new Headers(call.body ? { "content-type": call.contentType ?? "application/json" } : {}),
    body: call.body ?? null,
  };
  if (call.signal) plan.signal = call.signal;
  if (identity.mode === "pass-through") plan.clientKey = identity.key;
  const { response } = await sendWithFailover(plan, context, background);
  return response;
}

/** Sends a JSON request and returns the parsed JSON answer; an upstream error is thrown to be passed on. */
export async function upstreamJson(call: Omit<UpstreamCall, "body"> & { body?: unknown }, identity: ClientIdentity, context: AppContext, background: Background): Promise<unknown> {
  const body = call.body === undefined ? null : (new TextEncoder().encode(JSON.stringify(call.body)).buffer as ArrayBuffer);
  const response = await sendUpstream({ ...call, body }, identity, context, background);
  const text = await response.text();
  if (!response.ok) throw new UpstreamResponseError(text, response.status, response.headers);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GemrelayError("Gemini answered with something that is not JSON.", 502);
  }
}
