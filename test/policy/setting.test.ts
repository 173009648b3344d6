/** SettingDocument: defaults, validation, stale-while-revalidate and forget, over the memory Store. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { SettingDocument } from "../../shared/policy/setting.ts";
import { MemoryStore } from "../../shared/store/memory.ts";

describe("SettingDocument", () => {
  it("serves the default, then what was stored, refreshing behind the scenes", async () => {
    const store = new MemoryStore();
    let now = 0;
    const options = { name: "doc", schema: z.object({ n: z.number() }), fallback: { n: 1 }, refreshMs: 1_000, clock: () => now };
    const here = new SettingDocument(store, options);
    const there = new SettingDocument(store, options);
    expect(await here.current()).toEqual({ n: 1 });
    expect(await there.current()).toEqual({ n: 1 });
    await here.set({ n: 2 });
    expect(await here.current()).toEqual({ n: 2 });
    // The other copy is fresh for refreshMs, then serves its stale copy once while it re-reads.
    expect(await there.current()).toEqual({ n: 1 });
    now = 2_000;
    expect(await there.current()).toEqual({ n: 1 });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await there.current()).toEqual({ n: 2 });
    await store.setSetting("doc", "{\"n\": \"not a number\"}");
    there.forget();
    expect(await there.current()).toEqual({ n: 1 });
    await expect(here.set({ n: "x" } as unknown as { n: number })).rejects.toThrow();
    expect(await here.reset()).toEqual({ n: 1 });
    expect(await here.storedText()).toBeNull();
  });
});
