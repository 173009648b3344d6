/**
 * `POST /api/keys/check`: probes keys with a one-token request through the relays, with each key
 * used as is (pass-through semantics: a key fault comes back instead of being charged to the
 * pool), and sorts the answers into valid / invalid / quota-limited / location-refused /
 * unreachable / error. Only `invalid` changes state (the key is disabled); transient results
 * never remove or disable anything.
 *
 * Batches stay within Cloudflare's 50 subrequests per request: at most {@link checkBatchLimit}
 * keys, each probe at most {@link probeAttempts} upstream attempts, plus a few Store calls.
 */
import type { AppContext } from "../app.ts";
import { classifyFailure } from "../gemini/classify.ts";
import type { Background } from "../routing/pool-view.ts";
import { sendWithFailover } from "../routing/scheduler.ts";
import type { PoolKey } from "../store/store.ts";
import { attachTrace, RequestTrace } from "../usage/trace.ts";
import { keyDisabled } from "../alerts/triggers.ts";

/** Upstream attempts per probe: a second relay when the first one fails. */
export const probeAttempts = 2;
/** Keys per batch: 20 × 2 attempts + 4 Store calls (snapshot, two status writes, refresh) = 44 ≤ 50. */
export const checkBatchLimit = 20;
/** Probes in flight at once (Cloudflare allows 6 simultaneous outbound connections). */
const concurrency = 5;
/** A probe that has not answered by then counts as unreachable. */
const probeTimeoutMs = 20_000;

/** What a probe found out about a key. */
export type CheckVerdict = "valid" | "invalid" | "quota-limited" | "location-refused" | "unreachable" | "error";

/** The status reason of keys an admin disabled by hand; checks never re-enable those. */
export const manualDisableReason = "disabled by admin";

/** One probe's outcome. */
export interface Probe {
  key: PoolKey;
  verdict: CheckVerdict;
  /** Short reason (classification reason and HTTP status), never a secret. */
  detail: string;
}

async function probe(key: PoolKey, context: AppContext, background: Background): Promise<Probe> {
  const model = context.config.admin.keyCheckModel;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), probeTimeoutMs);
  const trace = new RequestTrace(context.clock(), model, context.clock);
  attachTrace(controller.signal, trace);
  const body = JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }], generationConfig: { maxOutputTokens: 1 } });
  try {
    const { response } = await sendWithFailover(
      {
        requestId: crypto.randomUUID(),
        model,
        method: "POST",
        pathAndQuery: `/v1beta/models/${encodeURIComponent(model)}:generateContent`,
        headers: new Headers({ "content-type": "application/json" }),
        body: new TextEncoder().encode(body).buffer as ArrayBuffer,
        clientKey: key.key,
        maxAttempts: probeAttempts,
        signal: controller.signal,
      },
      context,
      background,
    );
    const text = await response.text();
    if (response.ok) return { key, verdict: "valid", detail: `HTTP ${response.status}` };
    const verdict = classifyFailure(response.status, text, response.headers.has("x-gemrelay-fault"), context.clock());
    const detail = `${verdict.reason} (HTTP ${response.status})`;
    switch (verdict.kind) {
      case "key-invalid":
        return { key, verdict: "invalid", detail };
      case "key-cooldown":
        return { key, verdict: "quota-limited", detail };
      case "relay-fault":
        return { key, verdict: verdict.reason === "location" ? "location-refused" : "unreachable", detail };
      case "transient":
        return { key, verdict: "unreachable", detail };
      case "client-error":
        return { key, verdict: "error", detail };
    }
  } catch {
    // Every attempt failed on the relay side: the trace says how the last one did.
    const last = trace.attempts.at(-1);
    const location = trace.attempts.some((attempt) => attempt.reason === "location");
    return { key, verdict: location ? "location-refused" : "unreachable", detail: last ? `${last.reason ?? last.kind} (HTTP ${last.status})` : "no relay answered" };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Probes `keys` (at most a batch) and applies what is certain: invalid keys are disabled, keys
 * a check had disabled earlier and that answer again are re-enabled.
 */
export async function checkKeys(keys: readonly PoolKey[], context: AppContext, background: Background): Promise<Probe[]> {
  const results: Probe[] = [];
  for (let start = 0; start < keys.length; start += concurrency) {
    results.push(...(await Promise.all(keys.slice(start, start + concurrency).map((key) => probe(key, context, background)))));
  }
  const invalid = results.filter((result) => result.verdict === "invalid" && result.key.status === "active");
  const revived = results.filter((result) => result.verdict === "valid" && result.key.status === "disabled" && result.key.statusReason !== manualDisableReason);
  if (invalid.length > 0) {
    await context.store.setKeysStatus(
      invalid.map((result) => result.key.key),
      "disabled",
      "key check: invalid",
    );
    for (const result of invalid) keyDisabled(context, result.key.key, "key check: invalid", "*", background);
  }
  if (revived.length > 0) await context.store.setKeysStatus(revived.map((result) => result.key.key), "active", null);
  if (invalid.length > 0 || revived.length > 0) await context.pool.invalidate();
  return results;
}
