/**
 * Chaos targets and their disruptions: the self-host bundle, SIGKILLed mid-run and restarted on
 * its DATA_DIR and port; the worker bundle under workerd behind two relay bundles, one of which
 * answers from a location-refused hop while the other is SIGKILLed and later restarted.
 */
import path from "node:path";
import { freePort, startRelay, startWorker } from "../helpers/chain.ts";
import { startSelfHost, temporaryDirectory } from "../helpers/process.ts";
import type { GeminiSimulator } from "../sim/index.ts";
import type { ChaosTarget } from "./chaos.ts";
import type { ChaosKeys } from "./setup.ts";
import { compareAcrossRestart, readStatus } from "./state.ts";

const accessKey = "sk-chaos-0123456789abcdef";
const adminKey = "admin-chaos-0123456789abcdef";
const relayToken = "relay-chaos-0123456789abcdef";

/** Wall time of all attempts before a first byte (ROUTING_BUDGET_MS): above first-byte plus chunk timeout. */
const routingBudgetMs = 2_000;
/** Wall time after which no new attempt of an answer begins (RESUME_BUDGET_MS). */
const resumeBudgetMs = 6_000;
/**
 * A request may take the resume budget (its last attempt begins just before it runs out) plus
 * the routing budget (that attempt: a first byte within 1.5 s, a stall noticed within 0.4 s, the
 * answer itself in milliseconds) plus this margin: the client's own time, and scheduling delay
 * with workerd, two relays, the simulator and the client sharing two cores. Runs show the
 * slowest request well under the sum (run.ts prints it).
 */
const marginMs = 2_000;

/** Short stall timeouts and budgets so that faults are noticed quickly; circuits reopen soon. */
const environment = {
  RESUME_FIRST_BYTE_TIMEOUT_MS: "1500",
  RESUME_CHUNK_TIMEOUT_MS: "400",
  RESUME_MAX_CONTINUATIONS: "6",
  RESUME_BUDGET_MS: String(resumeBudgetMs),
  ROUTING_BUDGET_MS: String(routingBudgetMs),
  RELAY_OPEN_MS: "500",
  RELAY_QUARANTINE_MS: "1000",
  AUTH_KEY: accessKey,
  ADMIN_KEY: adminKey,
};

const common = { accessKey, adminKey, budgetMs: resumeBudgetMs + routingBudgetMs + marginMs };

/** The self-host bundle on a fixed port, SIGKILLed halfway and restarted on the same DATA_DIR and port. */
export async function selfHostTarget(sim: GeminiSimulator, keys: ChaosKeys): Promise<ChaosTarget> {
  const dataDir = temporaryDirectory("gemrelay-chaos-");
  const env = {
    ...environment,
    GEMINI_API_KEYS: keys.all.join(","),
    DATA_DIR: dataDir,
    KEYS_FILE: path.join(dataDir, "keys.txt"),
    GEMINI_UPSTREAM: sim.url,
    PORT: String(await freePort()),
  };
  let server = await startSelfHost(env);
  let generation = 0;
  const target: ChaosTarget = {
    ...common,
    name: "self-host",
    url: server.url,
    refusedHop: null,
    alive: () => server.process.exitCode === null && server.process.signalCode === null,
    generation: () => generation,
    disruptions: (requests) => [
      {
        before: Math.floor(requests / 2),
        name: "SIGKILL of the self-host, restart on its DATA_DIR",
        pause: true,
        hop: null,
        async run() {
          const unflushedSince = Date.now();
          const before = await readStatus(target);
          generation += 1;
          const killedAt = Date.now();
          await server.stop("SIGKILL");
          server = await startSelfHost(env);
          const { problems, kept } = compareAcrossRestart(before, await readStatus(target));
          return { killedAt, unflushedSince, problems, note: `kept ${kept.keys} keys, ${kept.cooldowns} cooldowns and ${kept.requests} counted requests` };
        },
      },
    ],
    stop: () => server.stop(),
  };
  return target;
}

/**
 * The worker bundle under workerd, egress through relay `a` (Netlify bundle, location refusals
 * aimed at its hop) and relay `b` (Vercel bundle), SIGKILLed at 30 % of the run and restarted on
 * its port at 60 %.
 */
export async function chainTarget(sim: GeminiSimulator, keys: ChaosKeys): Promise<ChaosTarget> {
  const relayEnv = (hop: string) => ({ RELAY_TOKEN: relayToken, GEMINI_UPSTREAM: sim.hopUrl(hop) });
  const refused = await startRelay({ platform: "netlify", id: "a", env: relayEnv("a") });
  let killable = await startRelay({ platform: "vercel", id: "b", env: relayEnv("b") });
  const port = Number(new URL(killable.url).port);
  const worker = await startWorker(
    { ...environment, GEMINI_API_KEYS: keys.all.join(","), RELAY_TOKEN: relayToken, RELAY_URLS: [refused.url, killable.url].join(",") },
    undefined,
    () => undefined, // thousands of log lines; the report says what matters
  );
  let stopped = false;
  const target: ChaosTarget = {
    ...common,
    name: "local chain (workerd → relays a, b)",
    url: worker.url,
    refusedHop: "a",
    alive: () => !stopped,
    generation: () => 0,
    disruptions: (requests) => [
      {
        before: Math.floor(requests * 0.3),
        name: "SIGKILL of relay b",
        pause: false,
        hop: "b",
        async run() {
          const killedAt = Date.now();
          await killable.stop("SIGKILL");
          return { killedAt };
        },
      },
      {
        before: Math.floor(requests * 0.6),
        name: "restart of relay b on its port",
        pause: false,
        async run() {
          const dead = (await readStatus(target)).relays.find((relay) => relay.id.includes(`:${port}`));
          killable = await startRelay({ platform: "vercel", id: "b", port, env: relayEnv("b") });
          const seen = `relay b was ${dead?.circuit} (${dead?.lastError}) before it`;
          return dead?.circuit === "closed" ? { problems: [`${seen}: its death went unnoticed`] } : { note: seen };
        },
      },
    ],
    stop: async () => {
      stopped = true;
      await worker.stop();
      await refused.stop();
      await killable.stop();
    },
  };
  return target;
}
