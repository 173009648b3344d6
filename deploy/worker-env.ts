/**
 * The non-secret variables the manifest gives the resume worker (routing policy, relay URLs with
 * weights), the same for `gemrelay dev` bindings and `gemrelay deploy` vars.
 */
import type { Manifest } from "./manifest.ts";

/** A relay's URL as the worker should know it: `#weight=N` when the manifest weights it. */
export function relayUrlWithWeight(url: string, weight: number): string {
  return weight === 1 ? url : `${url}#weight=${weight}`;
}

/** ROUTING_*, RELAY_* and PASSTHROUGH from the manifest's routing block (empty when absent). */
export function routingVariables(manifest: Manifest): Record<string, string> {
  const routing = manifest.routing;
  if (!routing) return {};
  return {
    ROUTING_KEY_STRATEGY: routing.keys,
    ROUTING_RELAY_STRATEGY: routing.relays,
    ROUTING_MAX_ATTEMPTS: String(routing.maxAttempts),
    ROUTING_BUDGET_MS: String(routing.budgetMs),
    ROUTING_STICKY: routing.sticky ? "on" : "off",
    PASSTHROUGH: routing.passThrough,
    RELAY_FAILURE_THRESHOLD: String(routing.circuit.failureThreshold),
    RELAY_OPEN_MS: String(routing.circuit.openMs),
    RELAY_QUARANTINE_MS: String(routing.circuit.quarantineMs),
  };
}
