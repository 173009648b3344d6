/** The processes a benchmark run measures: simulator, self-host, worker under workerd, relay. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { repositoryRoot } from "../../deploy/targets.ts";
import { startChild, type Child } from "../helpers/process.ts";

/** Runs the simulator in its own process so it does not share the load generator's event loop. */
export async function startSimulatorProcess(options: { chunkChars: number; intervalMs: number }): Promise<Child & { url: string; key: string }> {
  const child = startChild(process.execPath, [
    "--import",
    "tsx",
    path.join(repositoryRoot, "test/sim/main.ts"),
    "--chunk-chars",
    String(options.chunkChars),
    "--interval-ms",
    String(options.intervalMs),
  ], {}, repositoryRoot);
  const [, url = ""] = await child.waitFor(/^(http:\/\/\S+)$/m);
  const [, key = ""] = await child.waitFor(/^key (\S+)$/m);
  return Object.assign(child, { url, key });
}

/** Resident set size of a process in bytes (Linux /proc). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kilobytes = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kilobytes * 1024;
}

/** Posts to the simulator's control API. */
export async function control(simulatorUrl: string, route: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${simulatorUrl}/__sim/${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`simulator control ${route}: ${response.status} ${await response.text()}`);
  return response.json();
}
