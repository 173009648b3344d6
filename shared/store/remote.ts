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
  "compareAndSetSetting",
  "restore",
  "addAccessKey",
  "listAccessKeys",
  "revokeAccessKey",
  "recordUsage",
  "listUsage",
  "listRequests",
  "pruneUsage",
  "putResource",
  "getResource",
  "deleteResource",
];

/** Carries one call: method name and arguments in, the method's result out. */
export type StoreCall = (method: StoreMethod, args: unknown[]) => Promise<unknown>;

/** An object whose `methods` each forward through `call` (any interface of async methods). */
export function remoteProxy<T, M extends keyof T & string>(methods: readonly M[], call: (method: M, args: unknown[]) => Promise<unknown>): T {
  const proxy: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of methods) proxy[method] = (...args) => call(method, args);
  return proxy as unknown as T;
}

/** Runs a call received from a {@link remoteProxy} against the real `target`, refusing names outside `methods`. */
export function dispatchCall<T>(target: T, methods: readonly (keyof T & string)[], method: string, args: unknown[]): Promise<unknown> {
  if (!(methods as readonly string[]).includes(method)) throw new Error(`Unknown method ${method}`);
  const run = target[method as keyof T] as (...callArgs: unknown[]) => Promise<unknown>;
  return run.apply(target, args);
}

/** A Store that forwards each call through `call`. */
export function remoteStore(call: StoreCall): Store {
  return remoteProxy<Store, StoreMethod>(storeMethods, call);
}

/** Runs a call received from a remote Store against the real one. */
export function dispatchStoreCall(store: Store, method: string, args: unknown[]): Promise<unknown> {
  return dispatchCall(store, storeMethods, method, args);
}
