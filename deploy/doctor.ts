/**
 * `gemrelay doctor`: checks a running chain, deployed or local, hop by hop, with timings:
 *
 * - the worker's `/health` (configured? how many relays?);
 * - the worker's own view through `GET /status` (with ADMIN_KEY): keys active, cooling and
 *   disabled, each relay's circuit;
 * - each relay's `/health` (platform and region, checked against the manifest when it names the
 *   relay), and, with RELAY_TOKEN and a Gemini key at hand, one direct relay → Gemini call
 *   (`GET /v1beta/models`), which times the egress hop on its own;
 * - one generateContent request through the whole chain with the first AUTH_KEY.
 *
 * Every check is a single timed request: doctor reports how things are now, it does not wait.
 */
import { z } from "zod";
import { splitList } from "../shared/secrets.ts";
import { checkChain } from "./chain-check.ts";
import { formatTable } from "./table.ts";

/** A relay doctor knows about: its URL, and what the manifest expects of it when it names it. */
export interface DoctorRelay {
  url: string;
  label: string;
  expected?: { platform: string; region: string };
}

/** Options of `runDoctor`. */
export interface DoctorOptions {
  workerUrl: string;
  /** Relays from the manifest and state; when empty, the ones the worker's /status lists. */
  relays: DoctorRelay[];
  secrets: { AUTH_KEY?: string | undefined; ADMIN_KEY?: string | undefined; RELAY_TOKEN?: string | undefined; GEMINI_API_KEYS?: string | undefined };
  model: string;
  timeoutMs?: number;
}

/** One line of the report. */
export interface DoctorCheck {
  hop: string;
  check: string;
  ms: number | null;
  ok: boolean | null;
  result: string;
}

/** A single timed request; never throws. */
async function timed(url: string, init: RequestInit, timeoutMs: number): Promise<{ ms: number; status: number; text: string; error?: string }> {
  const started = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    return { ms: Math.round(performance.now() - started), status: response.status, text };
  } catch (error) {
    return { ms: Math.round(performance.now() - started), status: 0, text: "", error: error instanceof Error ? error.message : String(error) };
  }
}

function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const workerHealth = z.object({ ok: z.boolean(), egresses: z.number().optional(), configured: z.boolean().optional() });
const relayHealth = z.object({ ok: z.boolean(), platform: z.string(), region: z.string() });
const status = z.object({
  totals: z.object({ keys: z.number(), active: z.number(), disabled: z.number(), cooling: z.number() }),
  relays: z.array(z.object({ id: z.string(), circuit: z.string(), quarantined: z.boolean().optional(), lastError: z.string().nullable().optional() })),
});

/** A relay base URL from the id the worker reports (`host[/path]`): loopback is plain http. */
function urlOfRelayId(id: string): string {
  return /^(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(id) ? `http://${id}` : `https://${id}`;
}

function failure(answer: { status: number; text: string; error?: string }): string {
  return answer.error ?? `HTTP ${answer.status}: ${answer.text.replace(/\s+/g, " ").slice(0, 100)}`;
}

/** Runs every check; `ok` is false when any failed. */
export async function runDoctor(options: DoctorOptions): Promise<{ ok: boolean; checks: DoctorCheck[] }> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const checks: DoctorCheck[] = [];
  const add = (check: DoctorCheck) => checks.push(check);
  const worker = options.workerUrl.replace(/\/+$/, "");

  const health = await timed(`${worker}/health`, {}, timeoutMs);
  const healthBody = workerHealth.safeParse(json(health.text));
  if (health.status === 200 && healthBody.success) {
    const { configured, egresses } = healthBody.data;
    add({ hop: "worker", check: "GET /health", ms: health.ms, ok: configured !== false, result: `${configured === false ? "NOT configured (AUTH_KEY)" : "configured"}, ${egresses ?? "?"} relays` });
  } else {
    add({ hop: "worker", check: "GET /health", ms: health.ms, ok: false, result: failure(health) });
  }

  let relays = options.relays;
  if (options.secrets.ADMIN_KEY) {
    const adminKey = splitList(options.secrets.ADMIN_KEY)[0]!;
    const answer = await timed(`${worker}/status`, { headers: { authorization: `Bearer ${adminKey}` } }, timeoutMs);
    const parsed = status.safeParse(json(answer.text));
    if (answer.status === 200 && parsed.success) {
      const { totals } = parsed.data;
      const circuits = parsed.data.relays.map((relay) => `${relay.id} ${relay.quarantined ? "quarantined" : relay.circuit}`).join(", ");
      add({
        hop: "worker view",
        check: "GET /status",
        ms: answer.ms,
        ok: totals.active > 0,
        result: `keys: ${totals.active} active, ${totals.cooling} cooling, ${totals.disabled} disabled; relays: ${circuits || "none (direct egress)"}`,
      });
      if (relays.length === 0) relays = parsed.data.relays.map((relay) => ({ url: urlOfRelayId(relay.id), label: relay.id }));
    } else {
      add({ hop: "worker view", check: "GET /status", ms: answer.ms, ok: false, result: failure(answer) });
    }
  } else {
    add({ hop: "worker view", check: "GET /status", ms: null, ok: null, result: "skipped: ADMIN_KEY not set" });
  }

  const relayToken = options.secrets.RELAY_TOKEN;
  const geminiKey = splitList(options.secrets.GEMINI_API_KEYS)[0];
  for (const relay of relays) {
    const base = relay.url.replace(/\/+$/, "");
    const answer = await timed(`${base}/health`, {}, timeoutMs);
    const parsed = relayHealth.safeParse(json(answer.text));
    if (answer.status === 200 && parsed.success) {
      const { platform, region } = parsed.data;
      const expected = relay.expected;
      const matches = !expected || (expected.platform === platform && expected.region === region);
      add({ hop: `relay ${relay.label}`, check: "GET /health", ms: answer.ms, ok: matches, result: `${platform} ${region}${matches ? "" : `, expected ${expected!.platform} ${expected!.region}`}` });
    } else {
      add({ hop: `relay ${relay.label}`, check: "GET /health", ms: answer.ms, ok: false, result: failure(answer) });
    }
    if (!relayToken || !geminiKey) continue;
    const direct = await timed(`${base}/v1beta/models?pageSize=1`, { headers: { "x-relay-token": relayToken, "x-goog-api-key": geminiKey } }, timeoutMs);
    add({ hop: `relay ${relay.label} → Gemini`, check: "GET /v1beta/models", ms: direct.ms, ok: direct.status === 200, result: direct.status === 200 ? "200" : failure(direct) });
  }

  const accessKey = splitList(options.secrets.AUTH_KEY)[0];
  if (accessKey) {
    const result = await checkChain(worker, accessKey, options.model, Math.min(timeoutMs, 60_000), { retry: false });
    add({ hop: "chain", check: `POST ${options.model}:generateContent`, ms: result.elapsedMs, ok: result.ok, result: `${result.status === 0 ? "no answer" : result.status}: ${result.detail}` });
  } else {
    add({ hop: "chain", check: "generateContent", ms: null, ok: null, result: "skipped: AUTH_KEY not set" });
  }
  return { ok: checks.every((check) => check.ok !== false), checks };
}

/** The report as a table. */
export function formatDoctorReport(checks: readonly DoctorCheck[]): string {
  const verdict = (ok: boolean | null) => (ok === null ? "-" : ok ? "ok" : "FAIL");
  return formatTable(
    checks.map((check) => [check.hop, check.check, check.ms === null ? "-" : String(check.ms), verdict(check.ok), check.result]),
    { header: ["hop", "check", "ms", "", "result"] },
  );
}
