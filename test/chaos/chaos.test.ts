/** A short chaos round on both targets, disruptions included (the full size is `npm run chaos`). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GeminiSimulator } from "../sim/index.ts";
import { runChaos, type ChaosTarget } from "./chaos.ts";
import { failuresOf, formatReport } from "./report.ts";
import { startChaosSimulator, type ChaosKeys } from "./setup.ts";
import { chainTarget, selfHostTarget } from "./targets.ts";

describe.each([
  ["self-host", selfHostTarget],
  ["local chain", chainTarget],
] as const)("chaos on %s", (_name, start) => {
  let sim: GeminiSimulator;
  let keys: ChaosKeys;
  let target: ChaosTarget;

  beforeAll(async () => {
    ({ sim, keys } = await startChaosSimulator());
    target = await start(sim, keys);
  });
  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  it("answers whole or with a proper error, within budget, and keeps its state through kills and restarts", { timeout: 120_000 }, async () => {
    const report = await runChaos({ sim, keys, target, requests: 200, concurrency: 8, seed: 7 });
    console.log(formatReport(report));
    expect(failuresOf(report), formatReport(report)).toEqual([]);
    expect(report.disruptions.length, formatReport(report)).toBe(target.disruptions(200).length);
    expect(Object.values(report.faults).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(30);
    expect(report.complete, formatReport(report)).toBeGreaterThan(report.requests * 0.7);
  });
});
