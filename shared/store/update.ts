/**
 * Read-modify-write of one setting, atomic on every driver: read the stored text, compute the new
 * one, and store it with {@link Store.compareAndSetSetting} only if nobody wrote in between; when
 * somebody did, start again from what they wrote. Each lost round means another writer's change
 * landed, so progress is guaranteed; the bound only stops a pathological storm.
 */
import { GemrelayError } from "../errors.ts";
import type { Store } from "./store.ts";

/** Rounds one update tries before giving up (each lost round is another writer's success). */
const maxRounds = 200;

/**
 * Applies `change` to the stored text of `name` (null when nothing is stored) and returns the
 * text stored afterwards. `change` may run several times, each time on the latest value, so it
 * must not have side effects; returning null (or the text unchanged) writes nothing.
 */
export async function updateSetting(store: Store, name: string, change: (current: string | null) => string | null): Promise<string | null> {
  for (let round = 0; round < maxRounds; round += 1) {
    const current = await store.getSetting(name);
    const next = change(current);
    if (next === null || next === current) return current;
    if (await store.compareAndSetSetting(name, current, next)) return next;
  }
  throw new GemrelayError(`The setting ${name} is being changed by too many writers at once; try again.`, 503);
}
