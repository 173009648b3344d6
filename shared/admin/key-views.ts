/** Pool keys as the admin API shows them: masked, named by id, with per-model cooldowns. */
import { isPoolKeyId, poolKeyId } from "../keys/identity.ts";
import { maskSecret } from "../secrets.ts";
import type { PoolKey, PoolSnapshot } from "../store/store.ts";

/** One key in an admin listing: the pool key's state, with the key itself masked. */
export interface KeyView extends PoolKey {
  id: string;
  /** The key masked, `AIza…x9Q`. */
  key: string;
  cooldowns: { model: string; until: number; seconds: number; reason: string }[];
}

/** The view of `key` within `snapshot` at `now`. */
export async function keyView(key: PoolKey, snapshot: PoolSnapshot, now: number): Promise<KeyView> {
  return {
    ...key,
    id: await poolKeyId(key.key),
    key: maskSecret(key.key),
    cooldowns: snapshot.cooldowns
      .filter((cooldown) => cooldown.key === key.key && cooldown.until > now)
      .map((cooldown) => ({ model: cooldown.model, until: cooldown.until, seconds: Math.ceil((cooldown.until - now) / 1_000), reason: cooldown.reason })),
  };
}

/** Pool keys by id, for actions that name keys by id. */
export async function keysById(keys: readonly PoolKey[]): Promise<Map<string, PoolKey>> {
  const entries = await Promise.all(keys.map(async (key): Promise<[string, PoolKey]> => [await poolKeyId(key.key), key]));
  return new Map(entries);
}

/**
 * Resolves references to pool keys (ids, or whole keys as the seeds' API took them) to the keys
 * in the pool; `missing` lists the references found nowhere, masked when they are not ids.
 */
export async function resolveKeys(references: readonly string[], keys: readonly PoolKey[]): Promise<{ found: PoolKey[]; missing: string[] }> {
  const byId = await keysById(keys);
  const byKey = new Map(keys.map((key) => [key.key, key]));
  const found = new Map<string, PoolKey>();
  const missing: string[] = [];
  for (const reference of references) {
    const key = byKey.get(reference) ?? byId.get(reference);
    if (key) found.set(key.key, key);
    else missing.push(isPoolKeyId(reference) ? reference : maskSecret(reference));
  }
  return { found: [...found.values()], missing };
}
