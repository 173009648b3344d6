/**
 * Stable public ids for pool keys: admin actions, usage rows and the console name a key by id,
 * never by the key itself. The id is a prefix of the key's SHA-256: irreversible for keys with
 * Gemini keys' entropy (~200 bits), and the same on every isolate and after a restart.
 */
import { BoundedMap } from "../bounded-map.ts";
import { sha256Hex } from "../secrets.ts";

/** Hex digits of the SHA-256 kept as the id: 64 bits, collisions are out of reach for any pool. */
const idLength = 16;

/**
 * Ids computed lately in this isolate. Bounded: pass-through clients bring keys of their own
 * (any number of them), and the usage recorder names each by its id.
 */
const known = new BoundedMap<string, string>(1_024);

/** The id of a pool key (16 hex characters). */
export async function poolKeyId(key: string): Promise<string> {
  let id = known.get(key);
  if (id === undefined) {
    id = (await sha256Hex(key)).slice(0, idLength);
    known.set(key, id);
  }
  return id;
}

/** True when `value` has the shape of a pool key id. */
export function isPoolKeyId(value: string): boolean {
  return /^[0-9a-f]{16}$/.test(value);
}
