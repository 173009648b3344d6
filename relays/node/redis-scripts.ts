/**
 * Lua scripts of the Redis store. Each one runs atomically inside Redis, so a read-modify-write
 * (add a key unless present, fold outcomes, rename a key) can never interleave with another
 * instance's. Keys are built from the prefix passed as ARGV[1]: a single Redis (or a primary
 * with replicas) is assumed, not Redis Cluster.
 *
 * Layout under the prefix `p`:
 * - `p:keys` ZSET pool key → insertion sequence (`p:keys:seq`); `p:key:<key>` HASH its record
 * - `p:cooldowns` HASH `<key>\0<model>` → `<until>\0<reason>`
 * - `p:settings` HASH; `p:access` HASH id → JSON record; `p:access:hash` HASH hash → id;
 *   `p:access:revoked` HASH id → revokedAt
 * - `p:usage` ZSET (score 0, ordered by member) of `day\0accessKey\0poolKey\0model`; `p:usage:<member>` HASH counters
 * - `p:log` ZSET id → JSON entry (the capped request log); `p:log:seq` the last id
 * - `p:resources` HASH name → JSON resource record; `p:resources:expiry` ZSET name → expiresAt
 */

/** Adds keys not yet present; ARGV: prefix, at, keys…; returns the added keys. */
export const addKeysScript = `
local p, at = ARGV[1], ARGV[2]
local added = {}
for i = 3, #ARGV do
  local key = ARGV[i]
  if not redis.call('ZSCORE', p .. ':keys', key) then
    local seq = redis.call('INCR', p .. ':keys:seq')
    redis.call('ZADD', p .. ':keys', seq, key)
    redis.call('DEL', p .. ':key:' .. key)
    redis.call('HSET', p .. ':key:' .. key, 'status', 'active', 'addedAt', at, 'requests', 0, 'failures', 0)
    added[#added + 1] = key
  end
end
return added`;

/** Deletes the cooldowns of one key (helper prepended to scripts that need it). */
const clearKeyCooldowns = `
local function clearKeyCooldowns(p, key)
  local fields = redis.call('HKEYS', p .. ':cooldowns')
  local prefix = key .. '\\0'
  for _, field in ipairs(fields) do
    if string.sub(field, 1, #prefix) == prefix then redis.call('HDEL', p .. ':cooldowns', field) end
  end
end`;

/** Removes keys and their cooldowns; ARGV: prefix, keys…; returns the keys that existed. */
export const removeKeysScript = `${clearKeyCooldowns}
local p = ARGV[1]
local removed = {}
for i = 2, #ARGV do
  local key = ARGV[i]
  clearKeyCooldowns(p, key)
  if redis.call('ZREM', p .. ':keys', key) == 1 then
    redis.call('DEL', p .. ':key:' .. key)
    removed[#removed + 1] = key
  end
end
return removed`;

/** Clears the cooldowns of one key; ARGV: prefix, key. */
export const clearCooldownsScript = `${clearKeyCooldowns}
clearKeyCooldowns(ARGV[1], ARGV[2])
return 1`;

/** Sets the status of existing keys; ARGV: prefix, status, reason ('' with hasReason 0 for null), hasReason, keys…; returns them. */
export const setStatusScript = `
local p, status, reason, hasReason = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local changed, seen = {}, {}
for i = 5, #ARGV do
  local key = ARGV[i]
  if not seen[key] and redis.call('ZSCORE', p .. ':keys', key) then
    seen[key] = true
    redis.call('HSET', p .. ':key:' .. key, 'status', status)
    if hasReason == '1' then redis.call('HSET', p .. ':key:' .. key, 'statusReason', reason)
    else redis.call('HDEL', p .. ':key:' .. key, 'statusReason') end
    changed[#changed + 1] = key
  end
end
return changed`;

/** Renames a key in place; ARGV: prefix, from, to; returns 1, or 0 when `from` is unknown. */
export const replaceKeyScript = `${clearKeyCooldowns}
local p, from, to = ARGV[1], ARGV[2], ARGV[3]
local seq = redis.call('ZSCORE', p .. ':keys', from)
if not seq then return 0 end
if from == to then return 1 end
local cooldowns = {}
local prefix = from .. '\\0'
local all = redis.call('HGETALL', p .. ':cooldowns')
for i = 1, #all, 2 do
  if string.sub(all[i], 1, #prefix) == prefix then cooldowns[string.sub(all[i], #prefix + 1)] = all[i + 1] end
end
clearKeyCooldowns(p, from)
redis.call('ZREM', p .. ':keys', from)
if redis.call('ZSCORE', p .. ':keys', to) then
  redis.call('DEL', p .. ':key:' .. from)
  return 1
end
clearKeyCooldowns(p, to)
redis.call('ZADD', p .. ':keys', seq, to)
redis.call('RENAME', p .. ':key:' .. from, p .. ':key:' .. to)
for model, value in pairs(cooldowns) do redis.call('HSET', p .. ':cooldowns', to .. '\\0' .. model, value) end
return 1`;

/**
 * Folds per-key totals into the records; ARGV: prefix, then groups of six:
 * key, requests, failures, lastUsedAt, lastFailureAt ('' for none), lastError ('' with flag), hasError.
 */
export const recordOutcomesScript = `
local p = ARGV[1]
for i = 2, #ARGV, 7 do
  local key = ARGV[i]
  local record = p .. ':key:' .. key
  if redis.call('ZSCORE', p .. ':keys', key) then
    redis.call('HINCRBY', record, 'requests', ARGV[i + 1])
    redis.call('HINCRBY', record, 'failures', ARGV[i + 2])
    local used = redis.call('HGET', record, 'lastUsedAt')
    if not used or tonumber(used) < tonumber(ARGV[i + 3]) then redis.call('HSET', record, 'lastUsedAt', ARGV[i + 3]) end
    if ARGV[i + 4] ~= '' then
      local failed = redis.call('HGET', record, 'lastFailureAt')
      if not failed or tonumber(ARGV[i + 4]) >= tonumber(failed) then
        redis.call('HSET', record, 'lastFailureAt', ARGV[i + 4])
        if ARGV[i + 6] == '1' then redis.call('HSET', record, 'lastError', ARGV[i + 5])
        else redis.call('HDEL', record, 'lastError') end
      end
    end
  end
end
return 1`;

/** Keys (in order, each as a flat HGETALL) and every cooldown, in one atomic read; ARGV: prefix. */
export const snapshotScript = `
local p = ARGV[1]
local keys = redis.call('ZRANGE', p .. ':keys', 0, -1)
local records = {}
for i, key in ipairs(keys) do records[i] = redis.call('HGETALL', p .. ':key:' .. key) end
return { keys, records, redis.call('HGETALL', p .. ':cooldowns') }`;

/** Removes cooldowns ending at or before ARGV[2]; ARGV: prefix, now. */
/** Sets a cooldown unless one that lasts longer is set; ARGV: prefix, field (`key\0model`), until, reason. */
export const setCooldownScript = `
local p, field, untilAt = ARGV[1], ARGV[2], tonumber(ARGV[3])
local known = redis.call('HGET', p .. ':cooldowns', field)
if known and tonumber(string.match(known, '^([^%z]*)')) >= untilAt then return 0 end
redis.call('HSET', p .. ':cooldowns', field, ARGV[3] .. '\\0' .. ARGV[4])
return 1`;

export const purgeCooldownsScript = `
local p, now = ARGV[1], tonumber(ARGV[2])
local all = redis.call('HGETALL', p .. ':cooldowns')
for i = 1, #all, 2 do
  local untilText = string.match(all[i + 1], '^([^%z]*)')
  if tonumber(untilText) <= now then redis.call('HDEL', p .. ':cooldowns', all[i]) end
end
return 1`;

/** Stores a setting unless present and returns the stored value; ARGV: prefix, name, value. */
export const settingIfAbsentScript = `
redis.call('HSETNX', ARGV[1] .. ':settings', ARGV[2], ARGV[3])
return redis.call('HGET', ARGV[1] .. ':settings', ARGV[2])`;

/** Adds an access key unless its id or hash is taken; ARGV: prefix, id, hash, json, revokedAt ('' for none). */
export const addAccessKeyScript = `
local p, id, hash = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HEXISTS', p .. ':access', id) == 1 or redis.call('HEXISTS', p .. ':access:hash', hash) == 1 then return 0 end
redis.call('HSET', p .. ':access', id, ARGV[4])
redis.call('HSET', p .. ':access:hash', hash, id)
if ARGV[5] ~= '' then redis.call('HSET', p .. ':access:revoked', id, ARGV[5]) end
return 1`;

/** Revokes an access key once; ARGV: prefix, id, at. */
export const revokeAccessKeyScript = `
local p, id = ARGV[1], ARGV[2]
if redis.call('HEXISTS', p .. ':access', id) == 0 then return 0 end
return redis.call('HSETNX', p .. ':access:revoked', id, ARGV[3])`;

/** Appends request log entries with increasing ids; ARGV: prefix, cap, json entries (without id)…. */
export const appendLogScript = `
local p, cap = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV do
  local id = redis.call('INCR', p .. ':log:seq')
  redis.call('ZADD', p .. ':log', id, id .. '\\0' .. ARGV[i])
end
if cap > 0 then redis.call('ZREMRANGEBYRANK', p .. ':log', 0, -cap - 1) end
return 1`;

/** Drops daily rows before a day and log entries before an instant or beyond a count; ARGV: prefix, beforeDay, since, keep. */
export const pruneScript = `
local p, beforeDay, since, keep = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local old = redis.call('ZRANGEBYLEX', p .. ':usage', '-', '(' .. beforeDay)
for _, member in ipairs(old) do
  redis.call('DEL', p .. ':usage:' .. member)
  redis.call('ZREM', p .. ':usage', member)
end
local entries = redis.call('ZRANGE', p .. ':log', 0, -1)
for _, member in ipairs(entries) do
  local json = string.sub(member, string.find(member, '\\0', 1, true) + 1)
  local at = tonumber(string.match(json, '"at":(%-?[%d%.eE+]+)'))
  if at and at < since then redis.call('ZREM', p .. ':log', member) end
end
redis.call('ZREMRANGEBYRANK', p .. ':log', 0, -keep - 1)
return 1`;

/** Compare-and-set of one setting; ARGV: prefix, name, hasExpected ('0': must be absent), expected, value; returns 1 when written. */
export const compareAndSetSettingScript = `
local p, name, hasExpected, expected = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local current = redis.call('HGET', p .. ':settings', name)
if hasExpected == '0' then
  if current then return 0 end
elseif current ~= expected then return 0 end
redis.call('HSET', p .. ':settings', name, ARGV[5])
return 1`;

/**
 * A whole restore in one script (so no other instance sees half of it); ARGV: prefix, at, then
 * counted groups: key count and (key, status, reason, hasReason)…, access key count and (id, hash,
 * json, revokedAt)…, setting count and (name, value)…, then (usage member, its seven counters)… to
 * the end. The batch is validated before, so no command here fails on its arguments. Returns the
 * added keys and how many access keys were added.
 */
export const restoreScript = `
local p, at = ARGV[1], ARGV[2]
local i = 3
local added = {}
local keyCount = tonumber(ARGV[i]); i = i + 1
for _ = 1, keyCount do
  local key, status, reason, hasReason = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  i = i + 4
  if not redis.call('ZSCORE', p .. ':keys', key) then
    local seq = redis.call('INCR', p .. ':keys:seq')
    redis.call('ZADD', p .. ':keys', seq, key)
    redis.call('DEL', p .. ':key:' .. key)
    redis.call('HSET', p .. ':key:' .. key, 'status', status, 'addedAt', at, 'requests', 0, 'failures', 0)
    if hasReason == '1' then redis.call('HSET', p .. ':key:' .. key, 'statusReason', reason) end
    added[#added + 1] = key
  end
end
local accessAdded = 0
local accessCount = tonumber(ARGV[i]); i = i + 1
for _ = 1, accessCount do
  local id, hash, json, revokedAt = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  i = i + 4
  if redis.call('HEXISTS', p .. ':access', id) == 0 and redis.call('HEXISTS', p .. ':access:hash', hash) == 0 then
    redis.call('HSET', p .. ':access', id, json)
    redis.call('HSET', p .. ':access:hash', hash, id)
    if revokedAt ~= '' then redis.call('HSET', p .. ':access:revoked', id, revokedAt) end
    accessAdded = accessAdded + 1
  end
end
local settingCount = tonumber(ARGV[i]); i = i + 1
for _ = 1, settingCount do
  redis.call('HSET', p .. ':settings', ARGV[i], ARGV[i + 1])
  i = i + 2
end
local counters = { 'requests', 'errors', 'promptTokens', 'cachedTokens', 'completionTokens', 'thoughtTokens', 'resumes' }
while i <= #ARGV do
  local member = ARGV[i]
  redis.call('ZADD', p .. ':usage', 0, member)
  for c = 1, 7 do redis.call('HINCRBY', p .. ':usage:' .. member, counters[c], ARGV[i + c]) end
  i = i + 8
end
return { added, accessAdded }`;

/**
 * Upserts a resource record after dropping expired ones, then trims to the cap (soonest expiry
 * first); ARGV: prefix, name, json, expiresAt, now, cap.
 */
export const putResourceScript = `
local p, name = ARGV[1], ARGV[2]
local expired = redis.call('ZRANGEBYSCORE', p .. ':resources:expiry', '-inf', ARGV[5])
for _, old in ipairs(expired) do redis.call('HDEL', p .. ':resources', old) end
redis.call('ZREMRANGEBYSCORE', p .. ':resources:expiry', '-inf', ARGV[5])
redis.call('HSET', p .. ':resources', name, ARGV[3])
redis.call('ZADD', p .. ':resources:expiry', ARGV[4], name)
local surplus = redis.call('ZCARD', p .. ':resources:expiry') - tonumber(ARGV[6])
if surplus > 0 then
  local soonest = redis.call('ZRANGE', p .. ':resources:expiry', 0, surplus - 1)
  for _, old in ipairs(soonest) do redis.call('HDEL', p .. ':resources', old) end
  redis.call('ZREMRANGEBYRANK', p .. ':resources:expiry', 0, surplus - 1)
end
return 1`;

/** Deletes a resource record; ARGV: prefix, name; returns 1 when it existed. */
export const deleteResourceScript = `
redis.call('ZREM', ARGV[1] .. ':resources:expiry', ARGV[2])
return redis.call('HDEL', ARGV[1] .. ':resources', ARGV[2])`;
