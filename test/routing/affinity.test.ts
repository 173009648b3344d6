/** Rendezvous hashing of keys onto egresses (shared/routing/affinity.ts): stable homes, minimal movement. */
import { describe, expect, it } from "vitest";
import { affineEgress, preferenceOrder, rankEgresses } from "../../shared/routing/affinity.ts";

const egress = (id: string, weight = 1) => ({ id, weight });
const keyIds = Array.from({ length: 2_000 }, (_unused, index) => `key-${index.toString(16).padStart(16, "0")}`);
const homes = (egresses: { id: string; weight: number }[]) => new Map(keyIds.map((key) => [key, rankEgresses(key, egresses)[0]!.id]));

describe("key ↔ egress rendezvous hashing", () => {
  const three = [egress("a"), egress("b"), egress("c")];

  it("gives every key the same home on every call and in any listing order", () => {
    const first = homes(three);
    expect(homes([...three].reverse())).toEqual(first);
    expect(homes(three)).toEqual(first);
  });

  it("spreads keys roughly evenly, and by weight", () => {
    const counts = (map: Map<string, string>) => [...map.values()].reduce((tally, id) => tally.set(id, (tally.get(id) ?? 0) + 1), new Map<string, number>());
    for (const count of counts(homes(three)).values()) expect(count).toBeGreaterThan(2_000 / 3 - 150), expect(count).toBeLessThan(2_000 / 3 + 150);
    const weighted = counts(homes([egress("a", 2), egress("b"), egress("c")]));
    expect(weighted.get("a")!).toBeGreaterThan(weighted.get("b")! * 1.5);
  });

  it("moves only the keys of a removed egress, and only to a new egress when one is added", () => {
    const before = homes(three);
    const removed = homes([egress("a"), egress("c")]);
    for (const key of keyIds) if (before.get(key) !== "b") expect(removed.get(key)).toBe(before.get(key));
    const added = homes([...three, egress("d")]);
    let moved = 0;
    for (const key of keyIds) {
      if (added.get(key) === before.get(key)) continue;
      moved += 1;
      expect(added.get(key)).toBe("d");
    }
    // About a quarter of the keys move to the 4th egress.
    expect(moved).toBeGreaterThan(2_000 / 4 - 150);
    expect(moved).toBeLessThan(2_000 / 4 + 150);
  });

  it("puts a pinned egress first, ignores a pin naming no egress, and parks a strict key whose home is down", () => {
    const key = keyIds[0]!;
    const hashed = rankEgresses(key, three);
    const pinTo = hashed[2]!.id;
    expect(preferenceOrder(key, three, pinTo)[0]!.id).toBe(pinTo);
    expect(preferenceOrder(key, three, "nowhere")).toEqual(hashed);
    const down = (home: string) => (candidate: { id: string }) => candidate.id !== home;
    expect(affineEgress(hashed, "prefer", down(hashed[0]!.id))).toBe(hashed[1]);
    expect(affineEgress(hashed, "prefer", () => true)).toBe(hashed[0]);
    expect(affineEgress(hashed, "strict", down(hashed[0]!.id))).toBeUndefined();
  });
});
