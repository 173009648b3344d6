/**
 * What `gemrelay deploy` prints: the summary table (every deployable of the manifest, its URL,
 * region and health) and the report of a failure (the command, its redacted output, what to do).
 */
import type { ChainCheck } from "./chain-check.ts";
import type { DeployError } from "./deploy-setup.ts";
import type { Manifest } from "./manifest.ts";
import { relayDeployName } from "./manifest.ts";
import { formatTable } from "./table.ts";

/** One line of the summary. */
export interface SummaryRow {
  deployable: string;
  platform: string;
  /** Worker, site or project name. */
  name: string;
  region: string;
  /** URL, or `-` when never deployed. */
  url: string;
  /** `ok (cmh)`, `planned`, `not deployed`, or what failed. */
  health: string;
}

/** Rows for the whole manifest; `known` fills in what this run or an earlier one learned. */
export function summaryRows(
  manifest: Manifest,
  known: Map<string, { url?: string; health: string; name?: string }>,
): SummaryRow[] {
  const worker = known.get("worker");
  const rows: SummaryRow[] = [
    {
      deployable: "worker",
      platform: "cloudflare",
      name: worker?.name ?? manifest.worker.name,
      region: manifest.worker.placement?.region ?? "-",
      url: worker?.url ?? "-",
      health: worker?.health ?? "not deployed",
    },
  ];
  for (const relay of manifest.relays) {
    const entry = known.get(relay.id);
    rows.push({
      deployable: relay.id,
      platform: relay.platform,
      name: entry?.name ?? relayDeployName(manifest, relay),
      region: relay.region,
      url: entry?.url ?? "-",
      health: entry?.health ?? "not deployed",
    });
  }
  return rows;
}

/** The summary table, with the chain check underneath when there was one. */
export function formatSummary(rows: readonly SummaryRow[], check?: { model: string; result: ChainCheck }): string {
  const table = formatTable(
    rows.map((row) => [row.deployable, row.platform, row.name, row.region, row.url, row.health]),
    { header: ["deployable", "platform", "name", "region", "url", "health"] },
  );
  if (!check) return table;
  const { result } = check;
  const verdict = result.ok ? "ok" : "FAILED";
  const status = result.status === 0 ? "no answer" : `HTTP ${result.status}`;
  return `${table}\n\nchain check (${check.model}): ${verdict}, ${status} in ${result.elapsedMs} ms: ${result.detail}`;
}

/** The last `count` lines of a command's output. */
function tail(output: string, count = 40): string {
  const lines = output.split("\n");
  return lines.length > count ? [`… (${lines.length - count} earlier lines)`, ...lines.slice(-count)].join("\n") : output;
}

/** A failure as printed: message, the command's output (already redacted), and what to do. */
export function formatDeployError(error: DeployError): string {
  const parts = [`gemrelay deploy: ${error.message}`];
  if (error.output.trim()) parts.push(`--- output ---\n${tail(error.output.trim())}\n--- end of output ---`);
  if (error.hint) parts.push(`What to do: ${error.hint}`);
  return parts.join("\n");
}
