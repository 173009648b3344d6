import { describe, expect, it } from "vitest";
import { conversationHash } from "../../shared/routing/sticky.ts";
import { createPicker, strategyNames } from "../../shared/routing/strategy.ts";

const candidates = [{ id: "a" }, { id: "b" }, { id: "c" }];
const counts = (ids: (string | undefined)[]) => Object.fromEntries(["a", "b", "c"].map((id) => [id, ids.filter((value) => value === id).length]));

describe("pick strategies", () => {
  it("round-robin cycles in order", () => {
    const picker = createPicker("round-robin");
    expect(Array.from({ length: 6 }, () => picker.pick(candidates)?.id)).toEqual(["a", "b", "c", "a", "b", "c"]);
  });

  it("least-used evens out even when the candidate list changes", () => {
    const picker = createPicker("least-used");
    const picks = [picker.pick(candidates.slice(0, 2))?.id, picker.pick(candidates.slice(0, 2))?.id];
    for (let index = 0; index < 4; index++) picks.push(picker.pick(candidates)?.id);
    expect(counts(picks)).toEqual({ a: 2, b: 2, c: 2 });
  });

  it("weighted spreads in proportion to the weights, smoothly", () => {
    const picker = createPicker("weighted");
    const weighted = [
      { id: "a", weight: 5 },
      { id: "b", weight: 1 },
      { id: "c", weight: 1 },
    ];
    const picks = Array.from({ length: 70 }, () => picker.pick(weighted)?.id);
    expect(counts(picks)).toEqual({ a: 50, b: 10, c: 10 });
    // Smooth: the heavy candidate never runs more than its share in a row.
    expect(picks.join("")).not.toContain("aaaaaa");
  });

  it("random picks only candidates and reaches all of them", () => {
    const picker = createPicker("random");
    const picks = Array.from({ length: 300 }, () => picker.pick(candidates)?.id);
    for (const count of Object.values(counts(picks))) expect(count).toBeGreaterThan(50);
  });

  it.each(strategyNames)("%s answers undefined for no candidates", (name) => {
    expect(createPicker(name).pick([])).toBeUndefined();
  });
});

describe("sticky conversation hash", () => {
  const body = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer;
  const first = { role: "user", parts: [{ text: "Explain monads" }] };

  it("is the same for the same conversation start whatever follows", () => {
    const short = conversationHash(body({ contents: [first] }));
    const longer = conversationHash(body({ contents: [first, { role: "model", parts: [{ text: "A monad is…" }] }, { role: "user", parts: [{ text: "more" }] }] }));
    expect(short).not.toBeNull();
    expect(longer).toBe(short);
  });

  it("differs for another start or system instruction, and is null without contents or JSON", () => {
    const base = conversationHash(body({ contents: [first] }));
    expect(conversationHash(body({ contents: [{ role: "user", parts: [{ text: "Explain functors" }] }] }))).not.toBe(base);
    expect(conversationHash(body({ systemInstruction: { parts: [{ text: "be brief" }] }, contents: [first] }))).not.toBe(base);
    expect(conversationHash(body({}))).toBeNull();
    expect(conversationHash(new TextEncoder().encode("not json").buffer as ArrayBuffer)).toBeNull();
  });
});
