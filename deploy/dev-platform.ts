/**
 * `gemrelay dev --runtimes platform`: the chain under the platforms' own local runtimes instead
 * of miniflare and Node hosts — the worker under `wrangler dev`, Netlify relays under
 * `netlify functions:serve --offline`, Vercel relays under `@vercel/node`'s dev server (the
 * launcher `vercel dev` uses; it picks its own port). Slower to start (seconds per runtime), but
 * what runs is what each platform's CLI runs locally. Each runtime writes its log to a file,
 * named in the ready block.
 */
import path from "node:path";
import type { DevChain, DevRelay } from "./dev.ts";
import { startNetlifyFunctionsServe, startVercelDevServer, startWranglerDev, type RunningRuntime } from "./local-runtimes.ts";
import { relayStreamLimitSeconds, type Manifest, type SecretName } from "./manifest.ts";
import { workerVariables } from "./worker-env.ts";

/** What `startDevChain` has prepared: bundles built, secrets read, upstream chosen. */
export interface PlatformChainInput {
  manifest: Manifest;
  outDir: string;
  stateDir: string;
  /** Worker port; Netlify relays take the next ones. 0: free ports. */
  basePort: number;
  relayToken: string;
  chainUpstream: string;
  secrets: Partial<Record<SecretName, string>>;
  log: (line: string) => void;
}

/** Starts the chain under the platform runtimes; stops what started when one fails. */
export async function startPlatformChain(input: PlatformChainInput): Promise<DevChain> {
  const { manifest, outDir, basePort } = input;
  const running: RunningRuntime[] = [];
  const close = async () => {
    await Promise.allSettled(running.map((runtime) => runtime.stop()));
  };
  try {
    const relays: DevRelay[] = [];
    for (const [index, spec] of manifest.relays.entries()) {
      const upstream = spec.upstream ?? input.chainUpstream;
      const env = { RELAY_TOKEN: input.relayToken, GEMINI_UPSTREAM: upstream };
      const dir = path.join(outDir, spec.platform, spec.id);
      const port = basePort === 0 ? 0 : basePort + 1 + index;
      const runtime = spec.platform === "netlify" ? await startNetlifyFunctionsServe({ env, dir, port }) : await startVercelDevServer({ env, dir });
      running.push(runtime);
      input.log(`[${spec.id}] ${spec.platform === "netlify" ? "netlify functions:serve" : "@vercel/node dev server"} on ${runtime.url}, log ${runtime.logFile}`);
      relays.push({ id: spec.id, platform: spec.platform, region: spec.region, url: runtime.url, upstream, pid: runtime.pid });
    }
    const vars: Record<string, string> = {
      ...workerVariables(manifest, { relays: relays.map((relay, index) => ({ url: relay.url, weight: manifest.relays[index]!.weight, maxStreamSeconds: relayStreamLimitSeconds(manifest.relays[index]!) })), upstream: input.chainUpstream }),
      RELAY_TOKEN: input.relayToken,
    };
    for (const name of ["GEMINI_API_KEYS", "AUTH_KEY", "ADMIN_KEY"] as const) {
      const value = input.secrets[name];
      if (value !== undefined) vars[name] = value;
    }
    const worker = await startWranglerDev({ vars, outDir, port: basePort, persistTo: input.stateDir });
    running.push(worker);
    input.log(`[worker] wrangler dev on ${worker.url}, log ${worker.logFile}`);
    return { workerUrl: worker.url, workerPid: worker.pid, relays, relayToken: input.relayToken, stateDir: input.stateDir, close };
  } catch (error) {
    await close();
    throw error;
  }
}
