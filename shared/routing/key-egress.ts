/**
 * Affinity applied to the app: each key's order of egresses (hashed, or pinned by key metadata
 * `egress`), which egress an attempt with a key leaves through, and which keys `strict` parks
 * because their home is down. The pure ranking is in affinity.ts.
 */
import type { AppContext } from "../app.ts";
import type { Egress } from "../egress/egress.ts";
import { poolKeyId } from "../keys/identity.ts";
import { affineEgress, preferenceOrder } from "./affinity.ts";
import { longestStreaming } from "./stream-limits.ts";

/** True when an attempt may go out through `egress`: its circuit is closed and it has not failed this request. */
export function egressAvailable(context: AppContext, faulted: ReadonlySet<string>): (egress: Egress) => boolean {
  return (egress) => !faulted.has(egress.id) && context.relayHealth.isClosed(egress.id);
}

/** The key's egresses in order of preference (home first), or null when affinity is off. */
export async function egressOrder(context: AppContext, key: string): Promise<Egress[] | null> {
  // One egress under `prefer` is the plain choice: skip the hashing on the default self-host.
  if (context.config.affinity === "off" || context.egresses.length === 0 || (context.egresses.length === 1 && context.config.affinity === "prefer")) return null;
  const id = await poolKeyId(key);
  const metadata = await context.policies.budgets.metadata.current();
  return preferenceOrder(id, context.egresses, metadata[id]?.egress);
}

/**
 * The egress for an attempt with a key whose order is `order`: `prefer` takes the first available
 * one (back on the home as soon as its circuit closes), or, when every circuit is open, the first
 * not yet failed in this request (trying one beats failing without an attempt); `strict` takes
 * the home or nothing.
 */
export function affineChoice(context: AppContext, order: readonly Egress[], faulted: ReadonlySet<string>, longAnswer = false): Egress | undefined {
  const available = egressAvailable(context, faulted);
  if (context.config.affinity === "strict") return affineEgress(order, "strict", available);
  // A long answer stays off egresses that would cut it (stream-limits.ts), then follows the key's order.
  const open = order.filter(available);
  const fit = new Set(longAnswer && open.length > 0 ? longestStreaming(open) : open);
  return order.find((egress) => fit.has(egress)) ?? order.find((egress) => !faulted.has(egress.id));
}

/** Under `strict`, the `keys` whose home egress is unavailable now (they are skipped); empty otherwise. */
export async function parkedKeys(context: AppContext, keys: readonly string[], faulted: ReadonlySet<string>): Promise<Set<string>> {
  const parked = new Set<string>();
  if (context.config.affinity !== "strict") return parked;
  const available = egressAvailable(context, faulted);
  for (const key of keys) {
    const home = (await egressOrder(context, key))?.[0];
    if (home !== undefined && !available(home)) parked.add(key);
  }
  return parked;
}

/** What /status shows of a key's affinity: its home egress and the one it leaves through now. */
export async function keyEgressView(context: AppContext, key: string): Promise<{ home: string | null; via: string | null }> {
  const order = await egressOrder(context, key);
  if (order === null) return { home: null, via: null };
  return { home: order[0]?.id ?? null, via: affineChoice(context, order, new Set())?.id ?? null };
}
