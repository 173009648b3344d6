/**
 * Attempts pinned to one key: a request naming a file, a cached content, a batch or an operation
 * can only be served by the key whose Google project holds it (resources/affinity.ts). When that
 * key cannot serve, the client is told so, naming the resource, instead of getting another key's
 * 403 or a pool-wide error that suggests retrying elsewhere.
 */
import { GemrelayError } from "../errors.ts";
import type { Classification } from "../gemini/classify.ts";
import { holderRemoved, type ResourcePin } from "../resources/affinity.ts";
import type { PoolSnapshot } from "../store/store.ts";

/** What the last attempt of this request learnt about the pinned key, if it failed on it. */
export interface PinnedFailure {
  kind: "key-cooldown" | "key-invalid";
  /** Cooldowns: until when (epoch ms). */
  until?: number;
}

/** What a failed attempt's classification says about the key it used, for {@link pinnedRefusal}. */
export function pinnedFailure(verdict: Classification): PinnedFailure | null {
  if (verdict.kind === "key-cooldown") return { kind: "key-cooldown", until: verdict.until };
  if (verdict.kind === "key-invalid") return { kind: "key-invalid" };
  return null;
}

/**
 * Why the pinned key cannot take the next attempt for `model`, or null when it can: removed or
 * disabled (503: only a new upload helps), cooling (429 with RetryInfo: retrying later helps).
 */
export function pinnedRefusal(pin: ResourcePin, snapshot: PoolSnapshot, model: string, now: number, failed: PinnedFailure | null): GemrelayError | null {
  const entry = snapshot.keys.find((key) => key.key === pin.key);
  if (entry === undefined) return holderRemoved(pin.resource);
  if (entry.status === "disabled" || failed?.kind === "key-invalid") {
    return new GemrelayError(
      `${pin.resource} belongs to the Google project of a Gemini key that is disabled in gemrelay's pool${entry.statusReason ? ` (${entry.statusReason})` : ""}; no other key can reach it. Re-enable the key, or create the resource again.`,
      503,
    );
  }
  const cooling = snapshot.cooldowns
    .filter((cooldown) => cooldown.key === pin.key && cooldown.until > now && (cooldown.model === model || cooldown.model === "*"))
    .map((cooldown) => cooldown.until);
  if (failed?.kind === "key-cooldown") cooling.push(failed.until ?? now + 60_000);
  if (cooling.length === 0) return null;
  const seconds = Math.max(1, Math.ceil((Math.max(...cooling) - now) / 1_000));
  return new GemrelayError(
    `Resource has been exhausted (e.g. check quota). ${pin.resource} belongs to the Google project of one Gemini key, which is cooling down for ${model}; only that key can serve it. Retry in ${seconds}s.`,
    429,
    [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${seconds}s` }],
  );
}
