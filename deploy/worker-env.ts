/**
 * The non-secret variables the manifest gives the resume worker (routing policy, relay URLs with
 * weights), the same for `gemrelay dev` bindings and `gemrelay deploy` vars.
 */
import { workerLocationHint, type Manifest } from "./manifest.ts";
import { locationHintVariable } from "./targets.ts";
import { operationsVariables } from "./operations.ts";

/**
 * A relay's URL as the worker should know it: `#weight=N` when the manifest weights it, and
 * `maxStreamSeconds=N`, the longest its platform lets an answer stream (routing sends answers
 * expected to think long to the relays that allow the longest).
 */
export function relayUrlWithWeight(url: string, weight: number, maxStreamSeconds?: number): string {
  const parameters = [...(weight === 1 ? [] : [`weight=${weight}`]), ...(maxStreamSeconds === undefined ? [] : [`maxStreamSeconds=${maxStreamSeconds}`])];
  return parameters.length === 0 ? url : `${url}#${parameters.join("&")}`;
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

/** A relay as the worker's RELAY_URLS lists it. */
export interface WeightedRelayUrl {
  url: string;
  weight: number;
  /** The relay's stream limit (`relayStreamLimitSeconds`). */
  maxStreamSeconds?: number;
}

/**
 * Every non-secret variable of the worker: the routing policy, RELAY_URLS (weights as
 * `#weight=N&maxStreamSeconds=N`), GEMINI_UPSTREAM and the Durable Object location hint. `gemrelay dev` binds them,
 * `gemrelay deploy` writes them as wrangler `vars`, so both run the worker with the same settings.
 */
export function workerVariables(manifest: Manifest, options: { relays: readonly WeightedRelayUrl[]; upstream: string }): Record<string, string> {
  const variables: Record<string, string> = { ...routingVariables(manifest), ...operationsVariables(manifest.operations), GEMINI_UPSTREAM: options.upstream };
  if (options.relays.length > 0) {
    variables.RELAY_URLS = options.relays.map((relay) => relayUrlWithWeight(relay.url, relay.weight, relay.maxStreamSeconds)).join(",");
  }
  const hint = workerLocationHint(manifest);
  if (hint) variables[locationHintVariable] = hint;
  return variables;
}
