/** The isolate-local pool view: local cooldowns over the Store's, one per key × model, the longest. */
import { describe, expect, it } from "vitest";
import { PoolView } from "../../shared/routing/pool-view.ts";
import { MemoryStore } from "../../shared/store/memory.ts";

describe("PoolView cooldowns", () => {
  it("keeps one cooldown per key and model, the one that ends last, locally and in the Store", async () => {
    let now = 1_000;
    const store = new MemoryStore();
    await store.addKeys(["a"], now);
    const view = new PoolView(store, { refreshMs: 60_000, clock: () => now });
    const writes: Promise<unknown>[] = [];
    const background = (task: Promise<unknown>) => void writes.push(task);
    await view.current(background);
    view.coolDown({ key: "a", model: "m", until: 90_000_000, reason: "per-day-quota" }, background);
    view.coolDown({ key: "a", model: "m", until: 3_000, reason: "retry-info" }, background);
    const expected = [{ key: "a", model: "m", until: 90_000_000, reason: "per-day-quota" }];
    expect((await view.current(background)).cooldowns).toEqual(expected);
    await Promise.all(writes);
    // A later read from the Store, with the local changes still overlaid, agrees.
    now = 2_000;
    expect((await view.refresh()).cooldowns).toEqual(expected);
    expect(await store.listCooldowns(now)).toEqual(expected);
  });
});
