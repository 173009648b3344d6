/** A short chaos round on both targets (the full size is `npm run chaos`). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GeminiSimulator } from "../sim/index.ts";
import { runChaos } from "./chaos.ts";
import { chainTarget, selfHostTarget, type RunningChaosTarget } from "./targets.ts";

describe.each([
  ["self-host", selfHostTarget],
  ["local chain", chainTarget],
] as const)("chaos on %s", (_name, start) => {
  let sim: GeminiSimulator;
  let target: RunningChaosTarget;
  let keys: string[];

  beforeAll(async () => {
    sim = await GeminiSimulator.start({ chunkChars: 16 });
    keys = [sim.createKey(), sim.createKey(), sim.createKey(), sim.createKey("invalid")];
    sim.setKeyBehaviour(keys[2]!, "rate-limit-minute", { retryDelay: "2s" });
    target = await start(sim, keys);
  });
  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  it("has no silent truncation, no lost state and no crash under random faults", { timeout: 120_000 }, async () => {
    const report = await runChaos({ sim, target, keys, requests: 80, concurrency: 8, seed: 7 });
    expect(report.silentTruncations).toEqual([]);
    expect(report.lostState).toEqual([]);
    expect(report.crashes).toEqual([]);
    expect(report.faultsInjected).toBeGreaterThan(10);
    expect(report.complete).toBeGreaterThan(report.requests / 2);
  });
});
