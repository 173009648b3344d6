/**
 * The attempt scheduler: every upstream attempt is a (key, egress) pair. Before the first byte
 * reaches the client, a failed attempt is retried on another pair, bounded by attempts and wall
 * time; the classification decides who is blamed (REFERENCE.md §2). The resume engine calls
 * `sendWithFailover` once per continuation, so it inherits all of this.
 */
import type { AppContext } from "../app.ts";
import type { Egress } from "../egress/egress.ts";
import { GemrelayError, SetupError, UpstreamUnavailableError } from "../errors.ts";
import { classifyFailure, type Classification } from "../gemini/classify.ts";
import { keyProblem } from "../keys/validate.ts";
import { maskSecret } from "../secrets.ts";
import { longestStreaming } from "./stream-limits.ts";
import type { PoolSnapshot } from "../store/store.ts";
import { capacityCheck, keyDisabled, relayFailed } from "../alerts/triggers.ts";
import { traceOf } from "../usage/trace.ts";
import { resourcePin, type ResourcePin } from "../resources/affinity.ts";
import { pinnedFailure, pinnedRefusal } from "./pinned.ts";
import type { Background } from "./pool-view.ts";
import { affineChoice, egressOrder, parkedKeys } from "./key-egress.ts";

/** One request to send, independent of which key and egress carry it. */
export interface AttemptPlan {
  requestId: string;
  /** Model named in the path; cooldowns are per (key, model). `*` when the path names none. */
  model: string;
  method: string;
  pathAndQuery: string;
  /** Headers without the key; the scheduler adds `x-goog-api-key`. */
  headers: Headers;
  /** A buffered body can be resent; a stream allows one attempt only. */
  body: ArrayBuffer | ReadableStream<Uint8Array> | null;
  /** Pass-through: the client's own key, never rotated and never charged to the pool. */
  clientKey?: string;
  /** Sticky routing: a hash of the conversation start. */
  stickyHash?: number;
  /**
   * The client request's signal (or one derived from it, with the same `requestId`): the request's
   * trace (usage, model allow-list) is found through it, see usage/trace.ts.
   */
  signal?: AbortSignal;
  /** Fewer attempts than the routing policy allows (key checks: one retry on another relay). */
  maxAttempts?: number;
  /** The answer is expected to stream for long: prefer egresses that do not cut it (stream-limits.ts). */
  longAnswer?: boolean;
  /**
   * The one key that may carry the request (an upload session's). Without it the scheduler pins
   * the key holding a resource the path or body names (resources/affinity.ts); null: no pin.
   */
  pin?: ResourcePin | null;
}

/** The upstream answer that will reach the client, with what carried it. */
export interface AttemptResult {
  response: Response;
  key: string;
  egress: Egress;
  attempts: number;
}

/** Keys usable for `model` now: active, not cooling for it (or for `*`), not excluded. */
export function usableKeys(snapshot: PoolSnapshot, model: string, now: number, exclude: ReadonlySet<string>): string[] {
  const cooling = new Set<string>();
  for (const cooldown of snapshot.cooldowns) {
    if (cooldown.until > now && (cooldown.model === model || cooldown.model === "*")) cooling.add(cooldown.key);
  }
  return snapshot.keys.filter((key) => key.status === "active" && !cooling.has(key.key) && !exclude.has(key.key)).map((key) => key.key);
}

/** The 429 answered when every key for a model is cooling: Gemini's shape, RetryInfo for the soonest. */
function poolExhausted(snapshot: PoolSnapshot, model: string, now: number): GemrelayError {
  const active = new Set(snapshot.keys.filter((key) => key.status === "active").map((key) => key.key));
  const soonest = Math.min(
    ...snapshot.cooldowns.filter((cooldown) => active.has(cooldown.key) && (cooldown.model === model || cooldown.model === "*")).map((cooldown) => cooldown.until),
  );
  return retryLater(`is cooling down for ${model}`, soonest, now);
}

/** The 429 answered when every usable key has spent its budget for a model: RetryInfo for the next slot. */
function budgetSpent(model: string, slot: number, now: number): GemrelayError {
  return retryLater(`has spent its budget for ${model}`, slot, now);
}

/** Gemini's 429 shape with RetryInfo until `until` (60 s when unknown). */
function retryLater(why: string, until: number, now: number): GemrelayError {
  const seconds = Number.isFinite(until) ? Math.max(1, Math.ceil((until - now) / 1_000)) : 60;
  return new GemrelayError(
    `Resource has been exhausted (e.g. check quota). Every Gemini key in the pool ${why}; retry in ${seconds}s.`,
    429,
    [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${seconds}s` }],
  );
}

/**
 * A key for the next attempt, within budgets (budget/budgets.ts): a key is taken only once its
 * budget counter (shared by every instance when there are several) has counted the request, so
 * concurrent requests never overspend a key. Throws the budget 429 when keys are usable but none
 * has budget left and none was tried yet.
 */
async function pickKey(context: AppContext, plan: AttemptPlan, snapshot: PoolSnapshot, tried: ReadonlySet<string>, pin: ResourcePin | null, faulted: ReadonlySet<string>): Promise<string | undefined> {
  const usable = usableKeys(snapshot, plan.model, context.clock(), tried);
  let candidates = pin === null ? usable : usable.filter((key) => key === pin.key);
  // EGRESS_AFFINITY=strict: a key whose home egress is down waits rather than leave from another.
  const parked = await parkedKeys(context, candidates, faulted);
  if (parked.size > 0) {
    candidates = candidates.filter((key) => !parked.has(key));
    if (candidates.length === 0 && tried.size === 0) throw homeDown();
  }
  // Several instances on one Store: round-robin on a cursor they share, so it stays fair across them.
  const cursor = context.cluster && context.config.routing.keyStrategy === "round-robin" && candidates.length > 0 && plan.stickyHash === undefined ? await context.cluster.nextCursor("keys") : null;
  const admission = await context.policies.budgets.admission(candidates, plan.model);
  let admitted = candidates.filter((key) => admission.allows(key));
  while (admitted.length > 0) {
    let key: string | undefined;
    if (plan.stickyHash !== undefined) key = admitted[plan.stickyHash % admitted.length];
    else if (cursor !== null) key = admitted[cursor % admitted.length];
    else key = context.keyPicker.pick(admitted.map((id) => ({ id, weight: admission.weightOf(id) })))?.id;
    if (key === undefined || (await admission.claim(key))) return key;
    // Refused: its unit (key group) is now known to be spent; so are the unit's other keys.
    admitted = admitted.filter((other) => other !== key && admission.allows(other));
  }
  if (candidates.length > 0 && tried.size === 0) throw budgetSpent(plan.model, admission.soonest(candidates), context.clock());
  return undefined;
}

/** The 503 when every key that could serve has its home egress down under EGRESS_AFFINITY=strict. */
function homeDown(): GemrelayError {
  return new UpstreamUnavailableError("Every Gemini key that could serve this request has its home egress down, and EGRESS_AFFINITY=strict keeps keys on their home; retry shortly or see /status.", 503);
}

/**
 * The egress for an attempt: with affinity, the key's own (key-egress.ts; the home outranks a
 * longer stream limit); without, the relay strategy over the healthy ones.
 */
function pickEgress(context: AppContext, faulted: ReadonlySet<string>, background: Background, longAnswer: boolean, order: readonly Egress[] | null): Egress | undefined {
  for (const egress of context.egresses) {
    if (context.relayHealth.isDueForProbe(egress.id)) background(context.relayHealth.probe(egress.id, () => egress.probe()));
  }
  if (order !== null) return affineChoice(context, order, faulted, longAnswer);
  const healthy = context.egresses.filter((egress) => !faulted.has(egress.id) && context.relayHealth.isClosed(egress.id));
  const closed = longAnswer && healthy.length > 0 ? longestStreaming(healthy) : healthy;
  if (closed.length > 0) return context.relayPicker.pick(closed);
  // Every circuit is open: trying one beats failing without an attempt.
  return context.relayPicker.pick(context.egresses.filter((egress) => !faulted.has(egress.id)));
}

function backoff(attempt: number, signal: AbortSignal | undefined): Promise<void> {
  const delay = Math.random() * Math.min(2_000, 200 * 2 ** attempt);
  return new Promise((done) => {
    const timer = setTimeout(done, delay);
    signal?.addEventListener("abort", () => (clearTimeout(timer), done()), { once: true });
  });
}

/**
 * Sends `plan` upstream, failing over across keys and egresses until an answer may go to the
 * client: a success, a client error (returned unchanged), or a clear error when nothing works.
 */
export async function sendWithFailover(plan: AttemptPlan, context: AppContext, background: Background): Promise<AttemptResult> {
  const started = context.clock();
  const policy = context.config.routing;
  const maxAttempts = plan.body instanceof ReadableStream ? 1 : (plan.maxAttempts ?? policy.maxAttempts);
  const trace = traceOf(plan);
  // Refuses models outside the access key's allow-list before any attempt (403).
  trace?.upstreamCall(plan.model, plan.pathAndQuery);
  const triedKeys = new Set<string>();
  const faultedEgresses = new Set<string>();
  let last: { status: number; text: string; headers: Headers; verdict: Classification; key: string; egress: Egress } | null = null;
  // A request naming a file, cache, batch or operation goes out with the key that holds it.
  const pin = plan.clientKey ? null : plan.pin === undefined ? await resourcePin(context, plan.pathAndQuery, plan.body, background) : plan.pin;

  for (let attempt = 1; attempt <= maxAttempts && context.clock() - started < policy.budgetMs; attempt++) {
    const snapshot = plan.clientKey ? null : await context.pool.current(background);
    if (snapshot && snapshot.keys.length === 0) {
      throw new SetupError("No Gemini API keys in the pool. Add them with GEMINI_API_KEYS, keys.txt (self-host) or POST /api/keys.");
    }
    if (pin !== null && snapshot) {
      const refusal = pinnedRefusal(pin, snapshot, plan.model, context.clock(), last?.key === pin.key ? pinnedFailure(last.verdict) : null);
      if (refusal !== null) throw refusal;
    }
    const key = plan.clientKey ?? (snapshot ? await pickKey(context, plan, snapshot, triedKeys, pin, faultedEgresses) : undefined);
    if (key === undefined) {
      if (snapshot && snapshot.keys.every((candidate) => candidate.status === "disabled")) {
        throw new SetupError("Every Gemini API key in the pool is disabled. Check them with POST /api/keys/check or add new ones.");
      }
      if (snapshot && usableKeys(snapshot, plan.model, context.clock(), new Set()).length === 0) throw poolExhausted(snapshot, plan.model, context.clock());
      break; // every usable key was tried in this request
    }
    const egress = pickEgress(context, faultedEgresses, background, plan.longAnswer === true, await egressOrder(context, key));
    if (egress === undefined) {
      // Only strict affinity leaves a key without an egress: a pass-through key whose home is down.
      if (plan.clientKey && context.config.affinity === "strict") throw homeDown();
      break;
    }

    const attemptStarted = context.clock();
    const entry = { event: "attempt", requestId: plan.requestId, model: plan.model, key: maskSecret(key), relay: egress.id, attempt };
    // Every key source is checked before a key enters the Store, but a Store written by an older
    // version (or a restore) may still hold one no header can carry: disable it and go on.
    const malformed = plan.clientKey ? null : keyProblem(key);
    if (malformed !== null) {
      const reason = `malformed key (${malformed})`;
      context.pool.disable(key, reason, background);
      keyDisabled(context, key, reason, plan.model, background);
      triedKeys.add(key);
      context.log({ ...entry, status: 0, class: "key-invalid", reason: "malformed" });
      trace?.attempted({ key, relay: egress.id, status: 0, kind: "key-invalid", reason: "malformed" });
      continue;
    }
    const headers = new Headers(plan.headers);
    headers.set("x-goog-api-key", key);
    let response: Response;
    // An error answer is read whole here: one that breaks off while being read failed like a connection.
    let text = "";
    try {
      response = await egress.send({ method: plan.method, pathAndQuery: plan.pathAndQuery, headers, body: plan.body, ...(plan.signal ? { signal: plan.signal } : {}) });
      if (!response.ok) text = await response.text();
    } catch {
      if (plan.signal?.aborted) throw new GemrelayError("The client closed the request.", 499);
      context.relayHealth.failure(egress.id, "connect", false);
      relayFailed(context, egress.id, "connect error", background);
      // Another way out is tried next; the last one left is tried again after a backoff (a reset
      // connection is usually passing), within the attempts and the wall budget.
      if (context.egresses.some((other) => other.id !== egress.id && !faultedEgresses.has(other.id))) faultedEgresses.add(egress.id);
      else await backoff(attempt, plan.signal);
      context.log({ ...entry, status: 0, class: "relay-fault", latencyMs: context.clock() - attemptStarted });
      trace?.attempted({ key, relay: egress.id, status: 0, kind: "relay-fault", reason: "connect" });
      continue;
    }
    const latencyMs = context.clock() - attemptStarted;
    if (response.ok) {
      context.relayHealth.success(egress.id, latencyMs);
      if (!plan.clientKey) context.pool.report({ key, at: attemptStarted, ok: true }, background);
      context.log({ ...entry, status: response.status, class: "ok", latencyMs });
      trace?.attempted({ key, relay: egress.id, status: response.status, kind: "ok" });
      return { response, key, egress, attempts: attempt };
    }

    const verdict: Classification = classifyFailure(response.status, text, response.headers.has("x-gemrelay-fault"), context.clock());
    context.log({ ...entry, status: response.status, class: verdict.kind, reason: verdict.reason, latencyMs });
    trace?.attempted({ key, relay: egress.id, status: response.status, kind: verdict.kind, reason: verdict.reason });
    last = { status: response.status, text, headers: response.headers, verdict, key, egress };
    const error = `${verdict.kind}: ${verdict.reason} (HTTP ${response.status})`;
    switch (verdict.kind) {
      case "client-error":
        context.relayHealth.success(egress.id, latencyMs);
        return { response: new Response(text, { status: response.status, headers: response.headers }), key, egress, attempts: attempt };
      case "relay-fault":
        context.relayHealth.failure(egress.id, verdict.reason, verdict.quarantine);
        relayFailed(context, egress.id, verdict.reason, background);
        faultedEgresses.add(egress.id);
        break;
      case "key-invalid":
        context.relayHealth.success(egress.id, latencyMs);
        if (plan.clientKey) return { response: new Response(text, { status: response.status, headers: response.headers }), key, egress, attempts: attempt };
        context.pool.report({ key, at: attemptStarted, ok: false, error }, background);
        context.pool.disable(key, verdict.reason, background);
        keyDisabled(context, key, verdict.reason, plan.model, background);
        triedKeys.add(key);
        break;
      case "key-cooldown":
        context.relayHealth.success(egress.id, latencyMs);
        if (plan.clientKey) return { response: new Response(text, { status: response.status, headers: response.headers }), key, egress, attempts: attempt };
        context.pool.report({ key, at: attemptStarted, ok: false, error }, background);
        context.pool.coolDown({ key, model: plan.model, until: verdict.until, reason: verdict.reason }, background);
        if (verdict.reported) background(context.policies.budgets.learn(key, plan.model, verdict.reported));
        capacityCheck(context, plan.model, background);
        triedKeys.add(key);
        break;
      case "transient":
        context.relayHealth.success(egress.id, latencyMs);
        if (!plan.clientKey) context.pool.report({ key, at: attemptStarted, ok: false, error }, background);
        await backoff(attempt, plan.signal);
        break;
    }
  }

  if (last?.verdict.kind === "transient") {
    // Gemini's own passing error, as it was: never turned into a 500 or a 200.
    return { response: new Response(last.text, { status: last.status, headers: last.headers }), key: last.key, egress: last.egress, attempts: maxAttempts };
  }
  if (last?.verdict.kind === "key-cooldown" || last?.verdict.kind === "key-invalid") {
    if (pin !== null) {
      throw pinnedRefusal(pin, await context.pool.current(background), plan.model, context.clock(), pinnedFailure(last.verdict)) ?? new UpstreamUnavailableError(`The Gemini key holding ${pin.resource} could not serve it; see /status.`, 503);
    }
    const snapshot = await context.pool.current(background);
    if (usableKeys(snapshot, plan.model, context.clock(), new Set()).length === 0 && snapshot.keys.some((key) => key.status === "active")) {
      throw poolExhausted(snapshot, plan.model, context.clock());
    }
    throw new UpstreamUnavailableError(`No Gemini key in the pool could serve ${plan.model} within ${maxAttempts} attempts; see /status.`, 503);
  }
  throw new UpstreamUnavailableError("No egress could reach Gemini: every relay failed. Check RELAY_URLS and the relays' /health.", 502);
}
