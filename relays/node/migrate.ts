/**
 * One-shot copy of a whole Store into another (`gemrelay migrate`: the self-host's SQLite file
 * into Redis). Values are copied as stored, so keys sealed under ENCRYPTION_KEY stay sealed and
 * open with the same key. The Store interface has no way to list settings or resource records
 * (which key holds a file, a cache, a batch, an upload session, a Live token), so they come in
 * as read by the caller.
 */
import { resourceCap } from "../../shared/resources/affinity.ts";
import type { ResourceRecord } from "../../shared/store/records.ts";
import type { Store } from "../../shared/store/store.ts";

/** What a migration copied. */
export interface MigrationReport {
  keys: number;
  cooldowns: number;
  settings: number;
  accessKeys: number;
  usageRows: number;
  requests: number;
  resources: number;
}

/** Outcomes replayed per call when rebuilding a key's counters. */
const outcomeChunk = 10_000;

/**
 * Copies `from` into `to`, which must hold no pool key and no access key (a second run would
 * double the counters). `now` decides which cooldowns are still running.
 */
export async function copyStore(
  from: Store,
  to: Store,
  state: { settings: readonly (readonly [string, string])[]; resources: readonly ResourceRecord[] },
  now: number,
): Promise<MigrationReport> {
  const { settings } = state;
  if ((await to.listKeys()).length > 0 || (await to.listAccessKeys()).length > 0) {
    throw new Error("The target store already holds pool keys or access keys; migrate into an empty one.");
  }
  const keys = await from.listKeys();
  for (const key of keys) {
    await to.addKeys([key.key], key.addedAt);
    if (key.status === "disabled") await to.setKeyStatus(key.key, "disabled", key.statusReason);
    // Counters can only grow through outcomes: replay them (the last one carries lastError).
    const at = key.lastUsedAt ?? key.addedAt;
    for (let done = 0; done < key.requests; done += outcomeChunk) {
      const count = Math.min(outcomeChunk, key.requests - done);
      const failuresBefore = Math.max(0, Math.min(count, key.failures - done));
      await to.recordOutcomes(
        Array.from({ length: count }, (_, index) => (index < failuresBefore ? { key: key.key, at, ok: false, error: key.lastError } : { key: key.key, at, ok: true })),
      );
    }
  }
  const cooldowns = await from.listCooldowns(now);
  for (const cooldown of cooldowns) await to.setCooldown(cooldown);
  for (const [name, value] of settings) await to.setSetting(name, value);
  const accessKeys = await from.listAccessKeys();
  for (const record of accessKeys) await to.addAccessKey(record);
  const usage = await from.listUsage("0000-01-01", "9999-12-31");
  if (usage.length > 0) await to.recordUsage({ daily: usage, requests: [] });
  // The log pages newest first; it is written back oldest first so that ids keep their order.
  const requests = [];
  for (let page = await from.listRequests({ limit: 1_000 }); page.length > 0; page = await from.listRequests({ limit: 1_000, before: page[page.length - 1]!.id })) {
    requests.push(...page);
  }
  requests.reverse();
  for (let index = 0; index < requests.length; index += 1_000) {
    await to.recordUsage({ daily: [], requests: requests.slice(index, index + 1_000).map(({ id: _id, ...entry }) => entry) });
  }
  // Without them, every file, cache, batch, upload session and Live token made before the move
  // would be sent with a random key of the pool and answer 403 or 404.
  const resources = state.resources.filter((record) => record.expiresAt > now);
  for (const record of resources) await to.putResource(record, { now, cap: resourceCap });
  return { keys: keys.length, cooldowns: cooldowns.length, settings: settings.length, accessKeys: accessKeys.length, usageRows: usage.length, requests: requests.length, resources: resources.length };
}
