/**
 * The budget counter shared by every self-host instance on one Redis (budget/counter.ts): each
 * check-and-count runs as one Lua script, so two instances can never both take a key's last slot.
 *
 * Layout under the prefix `p`, per unit (key or key group) × model `u`:
 * - `p:budget:<u>:m` ZSET request id → start time, the last minute's requests
 * - `p:budget:<u>:d:<dayEnds>` counter, the requests of the Pacific day ending at `dayEnds`
 * - `p:budget:<u>:t` ZSET `<id>:<tokens>` → finish time, the last minute's input tokens
 * - `p:budget:recent-models` ZSET model → last time counted, trimmed to the most recent
 *   `ledgerLimit` (model names come from clients: the index must not grow with every name tried)
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { BudgetLimits } from "../../shared/budget/budget-policy.ts";
import type { BudgetCounter, BudgetReading } from "../../shared/budget/counter.ts";
import { nextPacificMidnight } from "../../shared/gemini/classify.ts";
import { ledgerLimit } from "../../shared/budget/ledger.ts";

/**
 * Reads a unit's spending and its next slot, and counts one request when ARGV[6] is 1 and it fits;
 * the same rules as BudgetLedger.nextSlot. KEYS: minute, day, tokens, models. ARGV: now, rpm, rpd,
 * tpm (-1: no limit), dayEnds, count (1/0), request id, model, models kept in the index. Returns {slot, minute, day, tokens}.
 */
const budgetScript = `
local now, rpm, rpd, tpm, dayEnds = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60000)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 60000)
local minute = redis.call('ZCARD', KEYS[1])
local day = tonumber(redis.call('GET', KEYS[2]) or '0')
local entries = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
local tokens = 0
for i = 1, #entries, 2 do tokens = tokens + tonumber(string.match(entries[i], ':(%d+)$')) end
local slot = now
if rpd >= 0 and day >= rpd then slot = math.max(slot, dayEnds) end
if rpm >= 0 and minute >= rpm then
  if rpm == 0 then slot = math.max(slot, now + 60000) else
    local oldest = redis.call('ZRANGE', KEYS[1], minute - rpm, minute - rpm, 'WITHSCORES')
    slot = math.max(slot, tonumber(oldest[2]) + 60000)
  end
end
if tpm >= 0 then
  local total = tokens
  for i = 1, #entries, 2 do
    if total < tpm then break end
    total = total - tonumber(string.match(entries[i], ':(%d+)$'))
    slot = math.max(slot, tonumber(entries[i + 1]) + 60000)
  end
end
if ARGV[6] == '1' and slot <= now then
  redis.call('ZADD', KEYS[1], now, ARGV[7])
  redis.call('PEXPIRE', KEYS[1], 61000)
  redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], dayEnds - now + 3600000)
  redis.call('ZADD', KEYS[4], now, ARGV[8])
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -(tonumber(ARGV[9]) + 1))
  minute, day = minute + 1, day + 1
end
return {slot, minute, day, tokens}`;

/** A {@link BudgetCounter} on `redis` under `prefix`; rejects while Redis is unreachable (the caller then counts locally). */
export function redisBudgetCounter(redis: Redis, prefix: string): BudgetCounter {
  const unitKey = (unit: string, model: string) => `${prefix}:budget:${unit}\u0000${model}`;
  const modelIndex = `${prefix}:budget:recent-models`;
  // Fails at once while Redis is away (commands are not queued): the caller counts locally meanwhile.
  const requireReady = () => {
    if (redis.status !== "ready") throw new Error(`Redis is ${redis.status}`);
  };
  const run = async (unit: string, model: string, limits: BudgetLimits, now: number, count: boolean): Promise<BudgetReading> => {
    requireReady();
    const base = unitKey(unit, model);
    const dayEnds = nextPacificMidnight(now);
    const [nextSlot, minute, day, tokensMinute] = (await redis.eval(
      budgetScript,
      4,
      `${base}:m`,
      `${base}:d:${dayEnds}`,
      `${base}:t`,
      modelIndex,
      now,
      limits.rpm ?? -1,
      limits.rpd ?? -1,
      limits.tpm ?? -1,
      dayEnds,
      count ? "1" : "0",
      randomUUID(),
      model,
      ledgerLimit,
    )) as [number, number, number, number];
    return { nextSlot, minute, day, tokensMinute };
  };
  return {
    reserve: async (unit, model, limits, now) => (await run(unit, model, limits, now, true)).nextSlot,
    read: (unit, model, limits, now) => run(unit, model, limits, now, false),
    async spendTokens(unit, model, count, now) {
      requireReady();
      const key = `${unitKey(unit, model)}:t`;
      await redis
        .multi()
        .zadd(key, now, `${randomUUID()}:${Math.round(count)}`)
        .pexpire(key, 61_000)
        .zadd(modelIndex, now, model)
        .zremrangebyrank(modelIndex, 0, -(ledgerLimit + 1))
        .exec();
    },
    // Most recently counted first, as the ledger's.
    models: () => redis.zrevrange(modelIndex, 0, -1),
  };
}
