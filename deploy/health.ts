/**
 * Health checks of deployed (or planned) deployables: a relay's `GET /health` must answer
 * `{ok: true, platform, region}` with the platform and region the manifest asked for (a relay in
 * the wrong region may be one Gemini refuses); the worker's must say it is configured and count
 * the relays it was given. Platforms take a moment to serve a fresh deploy, so each check polls.
 */
import { z } from "zod";
import { waitForHealth } from "./dev.ts";

/** The verdict of one health check, for the summary table. */
export interface HealthVerdict {
  ok: boolean;
  /** Short text: `ok (cmh)`, `region iad, expected cmh`, `HTTP 401 …`. */
  detail: string;
}

const relayHealth = z.object({ ok: z.literal(true), platform: z.string(), region: z.string() });
const workerHealth = z.object({
  ok: z.literal(true),
  platform: z.string().optional(),
  egresses: z.number().optional(),
  configured: z.boolean().optional(),
});

function describeFailure(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // waitForHealth's message ends with the last answer in parentheses: that is the useful part.
  return /\(([^()]*(?:\([^()]*\)[^()]*)*)\)$/.exec(text)?.[1] ?? text;
}

/** Polls `<url>/health` until it answers 200, and validates the answer; a verdict when either fails. */
async function readHealth<T extends z.ZodType>(url: string, schema: T, timeoutMs: number): Promise<{ ok: true; body: z.output<T> } | { ok: false; detail: string }> {
  let body: unknown;
  try {
    body = await waitForHealth(url, timeoutMs);
  } catch (error) {
    return { ok: false, detail: describeFailure(error) };
  }
  const parsed = schema.safeParse(body);
  return parsed.success ? { ok: true, body: parsed.data } : { ok: false, detail: `unexpected /health answer: ${JSON.stringify(body).slice(0, 120)}` };
}

/** Checks a relay: healthy, on the expected platform, in the expected region. */
export async function checkRelayHealth(url: string, expected: { platform: string; region: string }, timeoutMs: number): Promise<HealthVerdict> {
  const answer = await readHealth(url, relayHealth, timeoutMs);
  if (!answer.ok) return answer;
  const { platform, region } = answer.body;
  if (platform !== expected.platform) return { ok: false, detail: `platform ${platform}, expected ${expected.platform}` };
  if (region !== expected.region) return { ok: false, detail: `region ${region}, expected ${expected.region}` };
  return { ok: true, detail: `ok (${region})` };
}

/** Checks the worker: healthy, configured with access keys, and knowing `relays` egress relays. */
export async function checkWorkerHealth(url: string, relays: number, timeoutMs: number): Promise<HealthVerdict> {
  const answer = await readHealth(url, workerHealth, timeoutMs);
  if (!answer.ok) return answer;
  const { configured, egresses } = answer.body;
  if (configured === false) return { ok: false, detail: "not configured (AUTH_KEY missing)" };
  if (egresses !== undefined && egresses !== relays) return { ok: false, detail: `${egresses} relays, expected ${relays}` };
  return { ok: true, detail: `ok (${relays} relay${relays === 1 ? "" : "s"})` };
}
