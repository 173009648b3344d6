/**
 * Resource affinity: a file, a cached content, a batch or an operation belongs to the Google
 * project of the key that created it, so every request naming one must go out with that key (any
 * other answers 403 or 404). Creates are recorded as resource name → pool key id in the Store
 * (shared by every isolate, instance and relay path); later requests are pinned to that key by the
 * scheduler (routing/scheduler.ts), which answers a clear error when the key cannot serve.
 */
import type { AppContext } from "../app.ts";
import { BoundedMap } from "../bounded-map.ts";
import { BadRequestError, GemrelayError } from "../errors.ts";
import { poolKeyId } from "../keys/identity.ts";
import type { Background } from "../routing/pool-view.ts";
import type { PoolSnapshot, Store } from "../store/store.ts";
import { bodyResources, pathResource } from "./names.ts";

/** The key a request must use, and the resource that requires it (named in errors). */
export interface ResourcePin {
  key: string;
  /** What the client named, e.g. `files/abc`, or `the upload session` for upload chunks. */
  resource: string;
}

const hour = 3_600_000;
const day = 24 * hour;

/** How long a record lives when the answer gives no expiry: Google's own lifetimes where known. */
const lifetimes: readonly [RegExp, number][] = [
  [/^files\//, 2 * day], // files expire after 48 h
  [/^cachedContents\//, hour], // the default ttl
  [/^batches\/|\/operations\/|^operations\//, 7 * day],
];

/** Resources without an end (tuned models, stores): kept this long, then routed like any request. */
const longestLifetime = 400 * day;

/** Most records kept in the Store; beyond it the ones expiring soonest are dropped. */
export const resourceCap = 100_000;

/**
 * Lookups remembered in this isolate, per Store (one app's state never answers for another's),
 * briefly: a name can be reused after a delete (client-chosen file names).
 */
const recentByStore = new WeakMap<Store, BoundedMap<string, { keyId: string; until: number }>>();
const recentMs = 60_000;

function recentOf(context: AppContext): BoundedMap<string, { keyId: string; until: number }> {
  let recent = recentByStore.get(context.store);
  if (recent === undefined) {
    recent = new BoundedMap(4_096);
    recentByStore.set(context.store, recent);
  }
  return recent;
}

/** When a record of `name` expires: the answer's own expiry, or the resource kind's lifetime; never beyond a bound. */
export function expiryOf(name: string, answered: number | null, now: number): number {
  const lifetime = lifetimes.find(([pattern]) => pattern.test(name))?.[1] ?? longestLifetime;
  const until = answered ?? now + lifetime;
  return Math.min(Math.max(until, now + 1), now + longestLifetime);
}

/** Records that `key` holds `name` until `expiresAt`. */
export async function recordResource(context: AppContext, name: string, key: string, expiresAt: number, target: string | null = null): Promise<void> {
  const keyId = await poolKeyId(key);
  recentOf(context).set(name, { keyId, until: Math.min(expiresAt, context.clock() + recentMs) });
  await context.store.putResource({ name, keyId, target, expiresAt }, { now: context.clock(), cap: resourceCap });
}

/** Forgets `name` (deleted by the client). */
export async function forgetResource(context: AppContext, name: string): Promise<void> {
  recentOf(context).delete(name);
  await context.store.deleteResource(name);
}

/** The pool key holding `name`, by id; null when gemrelay did not create it (or the record expired). */
async function holderOf(context: AppContext, name: string): Promise<string | null> {
  const now = context.clock();
  const recent = recentOf(context);
  const cached = recent.get(name);
  if (cached !== undefined && cached.until > now) return cached.keyId;
  const record = await context.store.getResource(name, now);
  if (record === null) return null;
  recent.set(name, { keyId: record.keyId, until: Math.min(record.expiresAt, now + recentMs) });
  return record.keyId;
}

/** The key of `snapshot` whose id is `keyId`, or null when it left the pool. */
export async function keyWithId(snapshot: PoolSnapshot, keyId: string): Promise<string | null> {
  for (const entry of snapshot.keys) if ((await poolKeyId(entry.key)) === keyId) return entry.key;
  return null;
}

/** The 503 for a resource whose key was removed from the pool: nothing else can reach it. */
export function holderRemoved(resource: string): GemrelayError {
  return new GemrelayError(
    `${resource} belongs to the Google project of a Gemini key that is no longer in gemrelay's pool; no other key can reach it. Create it again (upload the file again).`,
    503,
  );
}

/**
 * The pin for a request naming owned resources in its path or JSON body, or null when it names
 * none that gemrelay recorded. Throws a 400 when the names are held by different keys, and the
 * removal 503 when the holder left the pool.
 */
export async function resourcePin(context: AppContext, pathAndQuery: string, body: unknown, background: Background): Promise<ResourcePin | null> {
  const names = new Set<string>();
  const fromPath = pathResource(pathAndQuery.split("?", 1)[0] ?? "");
  if (fromPath !== null) names.add(fromPath);
  if (body instanceof ArrayBuffer) for (const name of bodyResources(body)) names.add(name);
  if (names.size === 0) return null;
  let held: { name: string; keyId: string } | null = null;
  for (const name of names) {
    const keyId = await holderOf(context, name);
    if (keyId === null) continue;
    if (held !== null && held.keyId !== keyId) {
      throw new BadRequestError(`The request names ${held.name} and ${name}, which belong to different Gemini keys (Google projects) of the pool; one request can only use resources of one key.`);
    }
    held = { name, keyId };
  }
  if (held === null) return null;
  const key = await keyWithId(await context.pool.current(background), held.keyId);
  if (key === null) throw holderRemoved(held.name);
  return { key, resource: held.name };
}
