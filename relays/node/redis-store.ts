/**
 * The Redis driver of the state interface (ioredis), for several self-host instances sharing one
 * pool. Multi-step changes run as Lua scripts (atomic in Redis), counters use HINCRBY, the request
 * log is a capped sorted set. Cooldowns keep their `until` and are filtered by the caller's clock
 * like every other driver (a TTL would follow Redis' clock instead); expired ones are purged on list.
 * Layout: redis-scripts.ts.
 */
import type { Redis } from "ioredis";
import { totalOutcomes } from "../../shared/store/outcomes.ts";
import { emptyUsage, type AccessKeyRecord, type LoggedRequest, type RequestLogEntry, type ResourceLimits, type ResourceRecord, type UsageBatch, type UsageRetention, type UsageRow } from "../../shared/store/records.ts";
import type { Cooldown, KeyOutcome, KeyStatus, PoolKey, PoolSnapshot, RestoreBatch, RestoreOutcome, Store } from "../../shared/store/store.ts";
import * as scripts from "./redis-scripts.ts";

/** Counter fields of a daily usage row, in the order of {@link UsageRow}. */
const usageCounters = ["requests", "errors", "promptTokens", "cachedTokens", "completionTokens", "thoughtTokens", "resumes"] as const;

/** How many request log entries the store keeps at most between prunes. */
const defaultLogCap = 100_000;

/** Options of a {@link RedisStore}. */
export interface RedisStoreOptions {
  /** Namespace of every Redis key (default `gemrelay`), so that several deployments share one Redis. */
  prefix?: string;
  /** Hard cap of the request log, applied on every append (pruneUsage trims further). */
  logCap?: number;
}

/** {@link Store} over one ioredis connection. */
export class RedisStore implements Store {
  readonly prefix: string;
  private readonly logCap: number;

  constructor(
    private readonly redis: Redis,
    options: RedisStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? "gemrelay";
    this.logCap = options.logCap ?? defaultLogCap;
  }

  /** Runs a script by its source (ioredis caches it by SHA after the first EVAL). */
  private run(script: string, ...args: (string | number)[]): Promise<unknown> {
    return this.redis.eval(script, 0, this.prefix, ...args);
  }

  async listKeys(): Promise<PoolKey[]> {
    return (await this.snapshot(0)).keys;
  }

  async addKeys(keys: readonly string[], at: number): Promise<string[]> {
    if (keys.length === 0) return [];
    return (await this.run(scripts.addKeysScript, at, ...keys)) as string[];
  }

  async removeKeys(keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    return (await this.run(scripts.removeKeysScript, ...keys)) as string[];
  }

  async setKeyStatus(key: string, status: KeyStatus, reason: string | null): Promise<boolean> {
    return (await this.setKeysStatus([key], status, reason)).length === 1;
  }

  async setKeysStatus(keys: readonly string[], status: KeyStatus, reason: string | null): Promise<string[]> {
    if (keys.length === 0) return [];
    return (await this.run(scripts.setStatusScript, status, reason ?? "", reason === null ? "0" : "1", ...keys)) as string[];
  }

  async replaceKey(from: string, to: string): Promise<boolean> {
    return (await this.run(scripts.replaceKeyScript, from, to)) === 1;
  }

  async recordOutcomes(outcomes: readonly KeyOutcome[]): Promise<void> {
    const totals = totalOutcomes(outcomes);
    if (totals.length === 0) return;
    const args = totals.flatMap((total) => [
      total.key,
      total.requests,
      total.failures,
      total.lastUsedAt,
      total.lastFailureAt === null ? "" : total.lastFailureAt,
      total.lastError ?? "",
      total.lastError === null ? "0" : "1",
    ]);
    await this.run(scripts.recordOutcomesScript, ...args);
  }

  async setCooldown(cooldown: Cooldown): Promise<void> {
    await this.run(scripts.setCooldownScript, `${cooldown.key}\0${cooldown.model}`, cooldown.until, cooldown.reason);
  }

  async listCooldowns(now: number): Promise<Cooldown[]> {
    await this.run(scripts.purgeCooldownsScript, now);
    return (await this.snapshot(now)).cooldowns;
  }

  async clearCooldowns(key?: string): Promise<void> {
    if (key === undefined) await this.redis.del(`${this.prefix}:cooldowns`);
    else await this.run(scripts.clearCooldownsScript, key);
  }

  async snapshot(now: number): Promise<PoolSnapshot> {
    const [keys, records, cooldowns] = (await this.run(scripts.snapshotScript)) as [string[], string[][], string[]];
    return {
      keys: keys.map((key, index) => poolKeyFrom(key, records[index] ?? [])),
      cooldowns: cooldownsFrom(cooldowns, now),
      takenAt: now,
    };
  }

  async getSetting(name: string): Promise<string | null> {
    return this.redis.hget(`${this.prefix}:settings`, name);
  }

  async setSetting(name: string, value: string): Promise<void> {
    await this.redis.hset(`${this.prefix}:settings`, name, value);
  }

  async setSettingIfAbsent(name: string, value: string): Promise<string> {
    return (await this.run(scripts.settingIfAbsentScript, name, value)) as string;
  }

  async compareAndSetSetting(name: string, expected: string | null, value: string): Promise<boolean> {
    return (await this.run(scripts.compareAndSetSettingScript, name, expected === null ? "0" : "1", expected ?? "", value)) === 1;
  }

  async restore(batch: RestoreBatch): Promise<RestoreOutcome> {
    const args: (string | number)[] = [batch.at, batch.keys.length];
    for (const entry of batch.keys) args.push(entry.key, entry.status, entry.statusReason ?? "", entry.statusReason === null ? "0" : "1");
    args.push(batch.accessKeys.length);
    for (const { revokedAt, ...rest } of batch.accessKeys) args.push(rest.id, rest.hash, JSON.stringify(rest), revokedAt ?? "");
    const settings = Object.entries(batch.settings);
    args.push(settings.length);
    for (const [name, value] of settings) args.push(name, value);
    for (const delta of batch.usage) {
      args.push([delta.day, delta.accessKey, delta.poolKey, delta.model].join("\0"), ...usageCounters.map((counter) => delta[counter] ?? 0));
    }
    const [keysAdded, accessKeysAdded] = (await this.run(scripts.restoreScript, ...args)) as [string[], number];
    return { keysAdded, accessKeysAdded };
  }

  async addAccessKey(record: AccessKeyRecord): Promise<boolean> {
    const { revokedAt, ...rest } = record;
    return (await this.run(scripts.addAccessKeyScript, record.id, record.hash, JSON.stringify(rest), revokedAt ?? "")) === 1;
  }

  async listAccessKeys(): Promise<AccessKeyRecord[]> {
    const [records, revoked] = await Promise.all([this.redis.hgetall(`${this.prefix}:access`), this.redis.hgetall(`${this.prefix}:access:revoked`)]);
    return Object.entries(records)
      .map(([id, json]): AccessKeyRecord => ({ ...(JSON.parse(json) as Omit<AccessKeyRecord, "revokedAt">), revokedAt: revoked[id] === undefined ? null : Number(revoked[id]) }))
      .sort((a, b) => a.createdAt - b.createdAt || compareText(a.id, b.id));
  }

  async revokeAccessKey(id: string, at: number): Promise<boolean> {
    return (await this.run(scripts.revokeAccessKeyScript, id, at)) === 1;
  }

  async recordUsage(batch: UsageBatch): Promise<void> {
    const transaction = this.redis.multi();
    for (const delta of batch.daily) {
      const member = [delta.day, delta.accessKey, delta.poolKey, delta.model].join("\0");
      transaction.zadd(`${this.prefix}:usage`, 0, member);
      for (const counter of usageCounters) transaction.hincrby(`${this.prefix}:usage:${member}`, counter, delta[counter]);
    }
    if (batch.requests.length > 0) {
      transaction.eval(scripts.appendLogScript, 0, this.prefix, this.logCap, ...batch.requests.map((entry) => JSON.stringify(entry)));
    }
    if (batch.daily.length === 0 && batch.requests.length === 0) return;
    const results = await transaction.exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed) throw failed[0];
  }

  async listUsage(fromDay: string, toDay: string): Promise<UsageRow[]> {
    // Members start with the day then NUL: `(toDay\x01` ends after every member of toDay.
    const members = await this.redis.zrangebylex(`${this.prefix}:usage`, `[${fromDay}`, `(${toDay}\x01`);
    const pipeline = this.redis.pipeline();
    for (const member of members) pipeline.hgetall(`${this.prefix}:usage:${member}`);
    const results = members.length > 0 ? ((await pipeline.exec()) ?? []) : [];
    return members.map((member, index) => {
      const [day = "", accessKey = "", poolKey = "", model = ""] = member.split("\0");
      const counters = (results[index]?.[1] ?? {}) as Record<string, string>;
      const row = emptyUsage({ day, accessKey, poolKey, model });
      // A field missing from the hash (rows written before it existed, like cachedTokens) reads as 0.
      for (const counter of usageCounters) row[counter] = Number(counters[counter] ?? 0);
      return row;
    });
  }

  async listRequests(query: { limit: number; before?: number | null }): Promise<LoggedRequest[]> {
    const limit = Math.max(0, Math.floor(query.limit));
    if (limit === 0) return [];
    const max = query.before === undefined || query.before === null ? "+inf" : `(${query.before}`;
    const members = await this.redis.zrevrangebyscore(`${this.prefix}:log`, max, "-inf", "LIMIT", 0, limit);
    return members.map((member) => {
      const separator = member.indexOf("\0");
      return { ...(JSON.parse(member.slice(separator + 1)) as RequestLogEntry), id: Number(member.slice(0, separator)) };
    });
  }

  async pruneUsage(retention: UsageRetention): Promise<void> {
    const since = Date.parse(`${retention.beforeDay}T00:00:00Z`);
    await this.run(scripts.pruneScript, retention.beforeDay, since, Math.max(0, Math.floor(retention.maxRequests)));
  }

  async putResource(record: ResourceRecord, limits: ResourceLimits): Promise<void> {
    const json = JSON.stringify({ keyId: record.keyId, target: record.target, expiresAt: record.expiresAt });
    await this.run(scripts.putResourceScript, record.name, json, record.expiresAt, limits.now, Math.max(1, Math.floor(limits.cap)));
  }

  async getResource(name: string, now: number): Promise<ResourceRecord | null> {
    const json = await this.redis.hget(`${this.prefix}:resources`, name);
    if (json === null) return null;
    const stored = JSON.parse(json) as Omit<ResourceRecord, "name">;
    return stored.expiresAt > now ? { name, keyId: stored.keyId, target: stored.target, expiresAt: stored.expiresAt } : null;
  }

  async deleteResource(name: string): Promise<boolean> {
    return (await this.run(scripts.deleteResourceScript, name)) === 1;
  }
}

/** A pool key from its flat HGETALL reply. */
function poolKeyFrom(key: string, flat: string[]): PoolKey {
  const fields = new Map<string, string>();
  for (let index = 0; index + 1 < flat.length; index += 2) fields.set(flat[index] as string, flat[index + 1] as string);
  const number = (name: string): number | null => (fields.has(name) ? Number(fields.get(name)) : null);
  return {
    key,
    status: fields.get("status") === "disabled" ? "disabled" : "active",
    statusReason: fields.get("statusReason") ?? null,
    addedAt: number("addedAt") ?? 0,
    lastUsedAt: number("lastUsedAt"),
    requests: number("requests") ?? 0,
    failures: number("failures") ?? 0,
    lastError: fields.get("lastError") ?? null,
  };
}

/** Running cooldowns from the flat HGETALL of `p:cooldowns`, ordered by key then model. */
function cooldownsFrom(flat: string[], now: number): Cooldown[] {
  const running: Cooldown[] = [];
  for (let index = 0; index + 1 < flat.length; index += 2) {
    const field = flat[index] as string;
    const value = flat[index + 1] as string;
    const split = field.lastIndexOf("\0");
    const separator = value.indexOf("\0");
    const until = Number(value.slice(0, separator));
    if (until > now) running.push({ key: field.slice(0, split), model: field.slice(split + 1), until, reason: value.slice(separator + 1) });
  }
  return running.sort((a, b) => compareText(a.key, b.key) || compareText(a.model, b.model));
}

/** Binary string order, as the other drivers sort. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
