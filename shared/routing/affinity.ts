/**
 * Key ↔ egress affinity: each key leaves through a home egress, so Google sees one key from one
 * address (many keys from one address, or one key from many, is what gets accounts flagged).
 * The home is chosen by weighted rendezvous (highest random weight) hashing of the key's id and
 * the egress ids: stable without any stored state, across restarts and isolates, and when an
 * egress is added or removed only the keys whose top choice changed move (about 1/n of them).
 */

/** `off`: whichever egress the strategy picks per attempt; `prefer`: the home, another while it is down; `strict`: the home only. */
export const affinityModes = ["off", "prefer", "strict"] as const;
export type AffinityMode = (typeof affinityModes)[number];

/** What the ranking needs of an egress. */
export interface Ranked {
  readonly id: string;
  readonly weight: number;
}

/** FNV-1a then a murmur3 finaliser: 32 well-mixed bits of `text`. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** Weighted rendezvous score (Schindelhauer & Schomaker): −w / ln(u), u uniform in (0, 1). */
function score(keyId: string, egress: Ranked): number {
  const unit = (hash32(`${keyId}\u0000${egress.id}`) + 0.5) / 2 ** 32;
  return -Math.max(egress.weight, 1e-9) / Math.log(unit);
}

/** `egresses` in the key's order of preference: its home first. */
export function rankEgresses<T extends Ranked>(keyId: string, egresses: readonly T[]): T[] {
  return egresses
    .map((egress) => ({ egress, score: score(keyId, egress) }))
    .sort((left, right) => right.score - left.score || (left.egress.id < right.egress.id ? -1 : 1))
    .map((entry) => entry.egress);
}

/**
 * The key's order of preference with an explicit pin (key metadata `egress`) first when it names
 * one of `egresses`; a pin naming an egress that is not configured is ignored.
 */
export function preferenceOrder<T extends Ranked>(keyId: string, egresses: readonly T[], pin: string | undefined): T[] {
  const ranked = rankEgresses(keyId, egresses);
  const pinned = pin === undefined ? undefined : ranked.find((egress) => egress.id === pin);
  return pinned ? [pinned, ...ranked.filter((egress) => egress !== pinned)] : ranked;
}

/**
 * The egress the key uses now: in `prefer` the first of its order that is `available`, in
 * `strict` its home when available (undefined otherwise: the key waits for it).
 */
export function affineEgress<T extends Ranked>(order: readonly T[], mode: Exclude<AffinityMode, "off">, available: (egress: T) => boolean): T | undefined {
  if (mode === "strict") return order[0] !== undefined && available(order[0]) ? order[0] : undefined;
  return order.find(available);
}
