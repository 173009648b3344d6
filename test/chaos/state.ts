/**
 * Pool and relay state as an admin sees it on `/status`, and the chaos suite's checks of it:
 * Store counters against what the simulator saw, each key in the state its faults call for,
 * every relay's circuit closed again, and nothing lost across a SIGKILL and restart.
 */
import { poolKeyId } from "../../shared/keys/identity.ts";
import type { GeminiSimulator, RecordedRequest } from "../sim/index.ts";
import { chaosModel } from "./client.ts";
import { locationRefused } from "./faults.ts";
import type { ChaosKeys } from "./setup.ts";

/** Where the admin API of a target is. */
export interface AdminEndpoint {
  url: string;
  adminKey: string;
}

/** One pool key on /status (masked, named by id). */
export interface StatusKey {
  id: string;
  key: string;
  status: string;
  statusReason: string | null;
  requests: number;
  failures: number;
  cooldowns: { model: string; until: number; reason: string }[];
}

/** The parts of /status the checks read. */
export interface StatusDocument {
  now: number;
  keys: StatusKey[];
  relays: { id: string; circuit: string; quarantined: boolean; lastError: string | null }[];
}

/** GET /status with the admin key. */
export async function readStatus(target: AdminEndpoint): Promise<StatusDocument> {
  const response = await fetch(`${target.url}/status`, { headers: { authorization: `Bearer ${target.adminKey}` } });
  if (response.status !== 200) throw new Error(`/status answered ${response.status}`);
  return (await response.json()) as StatusDocument;
}

async function entryOf(status: StatusDocument, key: string): Promise<StatusKey | undefined> {
  const id = await poolKeyId(key);
  return status.keys.find((entry) => entry.id === id);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a check found wrong, and what it checked (for the report). */
export interface Checked {
  problems: string[];
  note: string;
}

/** What a restart kept, for the report. */
export interface Kept {
  keys: number;
  cooldowns: number;
  requests: number;
}

/**
 * Compares /status before a SIGKILL and after the restart. /status flushes the batched outcome
 * writes before it reads the Store (PoolView.refresh), and a committed SQLite transaction survives
 * the death of its process, so every count shown before the kill must still be there: the
 * tolerance is zero. Writes after that read may be lost; `checkCounters` accounts for them.
 * Cooldowns that had not expired meanwhile must be kept (or replaced by a later one).
 */
export function compareAcrossRestart(before: StatusDocument, after: StatusDocument): { problems: string[]; kept: Kept } {
  const problems: string[] = [];
  const kept: Kept = { keys: 0, cooldowns: 0, requests: 0 };
  if (after.keys.length !== before.keys.length) problems.push(`${before.keys.length} keys before the SIGKILL, ${after.keys.length} after the restart`);
  for (const old of before.keys) {
    const entry = after.keys.find((candidate) => candidate.id === old.id);
    if (!entry) {
      problems.push(`key ${old.key} lost in the restart`);
      continue;
    }
    kept.keys += 1;
    if (entry.status !== old.status || entry.statusReason !== old.statusReason) {
      problems.push(`key ${old.key}: ${old.status} (${old.statusReason}) before the SIGKILL, ${entry.status} (${entry.statusReason}) after`);
    }
    if (entry.requests < old.requests || entry.failures < old.failures) {
      problems.push(`key ${old.key}: ${old.requests} requests / ${old.failures} failures before the SIGKILL, ${entry.requests} / ${entry.failures} after`);
    }
    kept.requests += Math.min(entry.requests, old.requests);
    for (const cooldown of old.cooldowns.filter((candidate) => candidate.until > after.now)) {
      if (entry.cooldowns.some((candidate) => candidate.model === cooldown.model && candidate.until >= cooldown.until)) kept.cooldowns += 1;
      else problems.push(`key ${old.key}: cooldown for ${cooldown.model} until ${new Date(cooldown.until).toISOString()} (${cooldown.reason}) lost in the restart`);
    }
  }
  return { problems, kept };
}

/**
 * Store request counters against the attempts the simulator answered, once background writes
 * have landed. Location refusals are relay faults and never counted for the key; `uncertain`
 * attempts may or may not be counted (see chaos.ts).
 */
export async function checkCounters(sim: GeminiSimulator, target: AdminEndpoint, keys: readonly string[], uncertain: (request: RecordedRequest) => boolean): Promise<Checked> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const status = await readStatus(target);
    const problems: string[] = [];
    let attempts = 0;
    let uncertainAttempts = 0;
    for (const key of keys) {
      const entry = await entryOf(status, key);
      const answered = sim.requests.filter((request) => request.key === key && request.action !== "models.list" && request.status !== undefined && !locationRefused(request));
      const open = answered.filter(uncertain).length;
      attempts += answered.length;
      uncertainAttempts += open;
      if (!entry) problems.push(`key …${key.slice(-3)} missing from /status`);
      else if (entry.requests > answered.length || entry.requests < answered.length - open) {
        problems.push(`key ${entry.key}: Store counts ${entry.requests} requests, simulator answered ${answered.length} (${open} uncertain)`);
      }
    }
    if (problems.length === 0 || Date.now() > deadline) {
      return { problems, note: `Store counters agree with the ${attempts} attempts the simulator answered (${uncertainAttempts} uncertain)` };
    }
    await sleep(250);
  }
}

/**
 * Each key in the state its faults call for: the invalid key disabled, the others active, the
 * rate-limited key cooling on its RetryInfo, and the per-day key cooling until midnight Pacific
 * once its per-day 429 was applied.
 */
export async function checkPool(target: AdminEndpoint, keys: ChaosKeys, perDayApplied: boolean): Promise<Checked> {
  const status = await readStatus(target);
  const problems: string[] = [];
  const expect = async (key: string, role: string, test: (entry: StatusKey) => boolean) => {
    const entry = await entryOf(status, key);
    if (!entry || !test(entry)) problems.push(`${role} key in the wrong state: ${JSON.stringify(entry ?? null)}`);
  };
  const cooling = (reason: string) => (entry: StatusKey) => entry.status === "active" && entry.cooldowns.some((cooldown) => cooldown.model === chaosModel && cooldown.reason === reason);
  await expect(keys.invalid, "invalid", (entry) => entry.status === "disabled" && entry.statusReason === "API_KEY_INVALID");
  await expect(keys.limited, "rate-limited", cooling("retry-info"));
  await expect(keys.daily, "per-day", perDayApplied ? cooling("per-day-quota") : (entry) => entry.status === "active");
  for (const key of keys.healthy) await expect(key, "healthy", (entry) => entry.status === "active");
  return { problems, note: `invalid key disabled, rate-limited key cooling, per-day key ${perDayApplied ? "cooling until midnight Pacific" : "active (its 429 was not applied)"}, healthy keys active` };
}

/**
 * Waits until /status shows every relay's circuit closed and none quarantined, calling `poke`
 * (one request) meanwhile: an open circuit is probed only when a request picks an egress.
 */
export async function settleRelays(target: AdminEndpoint, poke: () => Promise<unknown>, timeoutMs: number): Promise<Checked> {
  const started = Date.now();
  for (;;) {
    const relays = (await readStatus(target)).relays;
    const unsettled = relays.filter((relay) => relay.circuit !== "closed" || relay.quarantined);
    const note = `${relays.length} relay circuit(s) closed ${Date.now() - started} ms after the run`;
    if (unsettled.length === 0) return { problems: [], note };
    if (Date.now() > started + timeoutMs) {
      return { problems: unsettled.map((relay) => `relay ${relay.id} still ${relay.circuit}${relay.quarantined ? ", quarantined" : ""} (${relay.lastError}) ${timeoutMs} ms after the run`), note };
    }
    await poke();
    await sleep(100);
  }
}
