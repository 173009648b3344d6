/** The Live usage meter on its own: which frames count, and how turns add up. */
import { describe, expect, it } from "vitest";
import { LiveUsageMeter } from "../../shared/live/usage.ts";

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer;

describe("LiveUsageMeter", () => {
  it("takes each turn's last usage, ended by turnComplete or a toolCall, and sums the turns", () => {
    const meter = new LiveUsageMeter();
    meter.observe(bytes({ serverContent: { modelTurn: { parts: [{ text: "a" }] } }, usageMetadata: { promptTokenCount: 5, responseTokenCount: 1 } }));
    meter.observe(bytes({ toolCall: { functionCalls: [{ id: "c", name: "f", args: {} }] }, usageMetadata: { promptTokenCount: 5, responseTokenCount: 3 } }));
    meter.observe(JSON.stringify({ serverContent: { modelTurn: { parts: [{ text: "b" }] } }, usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 2, thoughtsTokenCount: 4 } }));
    meter.observe(JSON.stringify({ serverContent: { turnComplete: true } }));
    // A turn cut short by the end of the session counts what it reported.
    meter.observe(bytes({ serverContent: { modelTurn: { parts: [{ text: "c" }] } }, usageMetadata: { promptTokenCount: 12, responseTokenCount: 1, totalTokenCount: 13 } }));
    expect(meter.usage()).toEqual({ promptTokenCount: 26, candidatesTokenCount: 6, thoughtsTokenCount: 4, cachedContentTokenCount: 0, totalTokenCount: 8 + 15 + 13 });
  });

  it("reads no field out of a string, and ignores frames that are not JSON", () => {
    const meter = new LiveUsageMeter();
    meter.observe(JSON.stringify({ serverContent: { modelTurn: { parts: [{ text: '{"usageMetadata":{"promptTokenCount":99},"turnComplete":true}' }] } } }));
    meter.observe(new Uint8Array([0x00, 0x01, 0x7b]).buffer as ArrayBuffer);
    meter.observe("not json \"usageMetadata\"");
    expect(meter.usage()).toBeNull();
  });
});
