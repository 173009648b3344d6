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

  it("updates atomically from the stored document, never a stale copy, across copies of two isolates", async () => {
    const store = new MemoryStore();
    const options = { name: "table", schema: z.record(z.string(), z.number()), fallback: {}, refreshMs: 60_000, clock: () => 0 };
    const isolates = [new SettingDocument(store, options), new SettingDocument(store, options)];
    // Both copies are read now and stay "fresh" for a minute: only the Store knows the truth.
    await Promise.all(isolates.map((document) => document.current()));
    await Promise.all(Array.from({ length: 40 }, (_, index) => isolates[index % 2]!.update((table) => ({ ...table, [`k${index}`]: index }))));
    const stored = JSON.parse((await store.getSetting("table")) ?? "{}") as Record<string, number>;
    expect(Object.keys(stored)).toHaveLength(40);
    // Returning the same object writes nothing; an invalid result is refused and leaves the Store alone.
    const before = await store.getSetting("table");
    expect(await isolates[0]!.update((table) => table)).toEqual(stored);
    await expect(isolates[1]!.update(() => ({ bad: "x" }) as unknown as Record<string, number>)).rejects.toThrow();
    expect(await store.getSetting("table")).toBe(before);
    // The updating copy serves the result at once.
    expect(await isolates[1]!.update((table) => ({ ...table, last: 1 }))).toMatchObject({ last: 1, k0: 0 });
    expect(await isolates[1]!.current()).toMatchObject({ last: 1 });
  });

  it("parses stored text with the document's schema, naming the field", () => {
    const document = new SettingDocument(new MemoryStore(), { name: "doc", schema: z.strictObject({ n: z.number().min(0) }), fallback: { n: 0 }, refreshMs: 1, clock: () => 0 });
    expect(document.parseText('{"n": 2}')).toEqual({ n: 2 });
    expect(() => document.parseText("{n: 2}")).toThrow(SyntaxError);
    expect(() => document.parseText('{"n": -1}')).toThrow(/n/);
  });
});
