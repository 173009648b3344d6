/**
 * `npm run chaos`: builds the bundles, then runs the chaos suite at full size on the self-host
 * and on the local chain. CHAOS_REQUESTS (default 2000 per target), CHAOS_CONCURRENCY (24) and
 * CHAOS_SEED (1) tune it. Exits non-zero on any silent truncation, wrong error, hang, lost state
 * or crash.
 */
import buildBundles from "../global-setup.ts";
import { runChaos } from "./chaos.ts";
import { failuresOf, formatReport } from "./report.ts";
import { startChaosSimulator } from "./setup.ts";
import { chainTarget, selfHostTarget } from "./targets.ts";

const requests = Number(process.env.CHAOS_REQUESTS ?? 2000);
const concurrency = Number(process.env.CHAOS_CONCURRENCY ?? 24);
const seed = Number(process.env.CHAOS_SEED ?? 1);

const started = Date.now();
console.log("building bundles…");
await buildBundles();
let failed = false;
for (const start of [selfHostTarget, chainTarget]) {
  const { sim, keys } = await startChaosSimulator();
  const target = await start(sim, keys);
  try {
    const report = await runChaos({ sim, keys, target, requests, concurrency, seed });
    console.log(`\n${formatReport(report)}`);
    if (failuresOf(report).length > 0) failed = true;
  } finally {
    await target.stop();
    await sim.close();
  }
}
const wall = `${((Date.now() - started) / 1000).toFixed(1)} s in all`;
console.log(failed ? `\nchaos: FAILED (${wall})` : `\nchaos: zero silent truncations, wrong errors, hangs, lost state and crashes (${wall})`);
process.exit(failed ? 1 : 0);
