/**
 * `npm run chaos`: the chaos suite at full size on the self-host and on the local chain.
 * CHAOS_REQUESTS (default 400 per target), CHAOS_CONCURRENCY (24) and CHAOS_SEED (1) tune it.
 * Exits non-zero on any silent truncation, lost state or crash.
 */
import { GeminiSimulator } from "../sim/index.ts";
import { runChaos, type ChaosReport } from "./chaos.ts";
import { chainTarget, selfHostTarget } from "./targets.ts";

const requests = Number(process.env.CHAOS_REQUESTS ?? 400);
const concurrency = Number(process.env.CHAOS_CONCURRENCY ?? 24);
const seed = Number(process.env.CHAOS_SEED ?? 1);

let failed = false;
for (const [name, start] of [["self-host", selfHostTarget], ["local chain (workerd → relay)", chainTarget]] as const) {
  const sim = await GeminiSimulator.start({ chunkChars: 16 });
  const keys = [sim.createKey(), sim.createKey(), sim.createKey(), sim.createKey("invalid")];
  sim.setKeyBehaviour(keys[2]!, "rate-limit-minute", { retryDelay: "2s" });
  const target = await start(sim, keys);
  try {
    const report: ChaosReport = await runChaos({ sim, target, keys, requests, concurrency, seed });
    console.log(`\n${name}: ${report.requests} requests, ${report.faultsInjected} faults injected`);
    console.log(`  complete ${report.complete}, explicit errors ${report.explicitErrors}`);
    console.log(`  silent truncations ${report.silentTruncations.length}, lost state ${report.lostState.length}, crashes ${report.crashes.length}`);
    for (const problem of [...report.silentTruncations, ...report.lostState, ...report.crashes].slice(0, 20)) console.log(`  ! ${problem}`);
    if (report.silentTruncations.length + report.lostState.length + report.crashes.length > 0) failed = true;
  } finally {
    await target.stop();
    await sim.close();
  }
}
console.log(failed ? "\nchaos: FAILED" : "\nchaos: zero silent truncations, zero lost state, zero crashes");
process.exit(failed ? 1 : 0);
