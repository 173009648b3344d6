/**
 * A Store whose every call is carried to another place that holds the real one (the Cloudflare
 * Durable Object over RPC, a test harness over HTTP). One generic proxy instead of one per method.
 */
import type { Store } from "./store.ts";

/** The names of the Store's methods. */
export type StoreMethod = keyof Store;

/** The methods a remote Store forwards, in the order of the interface. */
export const storeMethods: readonly StoreMethod[] = [
  "listKeys",
  "addKeys",
  "removeKeys",
  "setKeyStatus",
  "setKeysStatus",
  "replaceKey",
  "recordOutcomes",
  "setCooldown",
  "listCooldowns",
  "clearCooldowns",
  "snapshot",
  "getSetting",
  "setSetting",
  "setSettingIfAbsent",
  "addAccessKey",
  "listAccessKeys",
  "revokeAccessKey",
  "recordUsage",
  "listUsage",
  "listRequests",
  "pruneUsage",
];

/** Carries one call: method name and arguments in, the method's result out. */
export type StoreCall = (method: StoreMethod, args: unknown[]) => Promise<unknown>;

/** A Store that forwards each call through `call`. */
export function remoteStore(call: StoreCall): Store {
  const store: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of storeMethods) store[method] = (...args) => call(method, args);
  return store as unknown as Store;
}

/** Runs a call received from a remote Store against the real one. */
export function dispatchStoreCall(store: Store, method: string, args: unknown[]): Promise<unknown> {
  if (!(storeMethods as readonly string[]).includes(method)) throw new Error(`Unknown store method ${method}`);
  const target = store[method as StoreMethod] as (...callArgs: unknown[]) => Promise<unknown>;
  return target.apply(store, args);
}
