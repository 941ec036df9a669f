/**
 * Appends that keep unread entries (AppendOp.keepUnread) on Redis: one Lua script
 * checks every op's unread cap first and only then appends, so that a refused call
 * writes nothing, and trims an inbox only below its consumer group's position
 * (XTRIM MINID), never an entry the group has not acknowledged.
 */
import { InboxFullError } from "../errors.ts";
import { type AppendOp, DEFAULT_MAXLEN } from "./port.ts";

/**
 * KEYS: the streams of the ops, in order. ARGV[1]: JSON list of ops
 * `{f: [field, value, ...], max, group?, cap?, ttl? (ms)}`. Returns the new ids, or
 * the error `FULL <op index> <unread>` before anything is written.
 */
export const APPEND_KEEPING_UNREAD_LUA = `
local ops = cjson.decode(ARGV[1])

local function groupInfo(key, group)
  if redis.call('EXISTS', key) == 0 then return nil end
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', key)) do
    local info = {}
    for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
    if info['name'] == group then return info end
  end
  return nil
end

-- The end of the acknowledged entries, as an XRANGE bound: before the oldest pending
-- entry, else up to the group's last delivered entry.
local function readEnd(key, group, info)
  if tonumber(info['pending']) > 0 then
    return '(' .. redis.call('XPENDING', key, group)[2]
  end
  return info['last-delivered-id']
end

-- Unread entries of the group (every entry while it does not exist). Redis 7 knows
-- the group's lag; where it does not (after XDEL), the read entries are counted, at
-- most limit of them.
local function unreadOf(key, group, len, limit)
  local info = groupInfo(key, group)
  if not info then return len end
  local lag = info['lag']
  if lag then return math.min(len, tonumber(lag) + tonumber(info['pending'])) end
  local read = redis.call('XRANGE', key, '-', readEnd(key, group, info), 'COUNT', limit)
  return len - #read
end

local function idBefore(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end

-- Deletes acknowledged entries beyond the newest keep of them, 10% at a time.
local function trimRead(key, group, keep)
  local slack = math.ceil(keep / 10)
  local len = redis.call('XLEN', key)
  if len <= keep + slack then return end
  local info = groupInfo(key, group)
  if not info then return end
  local lag = info['lag']
  if lag then
    local read = len - math.min(len, tonumber(lag) + tonumber(info['pending']))
    if read <= keep + slack then return end
    local drop = redis.call('XRANGE', key, '-', '+', 'COUNT', read - keep + 1)
    local minId = drop[#drop][1]
    -- Entries acknowledged after a still pending one are counted as read: never
    -- trim up to the pending one.
    if tonumber(info['pending']) > 0 then
      local oldest = redis.call('XPENDING', key, group)[2]
      if idBefore(oldest, minId) then minId = oldest end
    end
    redis.call('XTRIM', key, 'MINID', minId)
    return
  end
  local newest = redis.call('XREVRANGE', key, readEnd(key, group, info), '-', 'COUNT', keep + slack + 1)
  if #newest > keep + slack then redis.call('XTRIM', key, 'MINID', newest[keep][1]) end
end

for i, op in ipairs(ops) do
  if op.group then
    local len = redis.call('XLEN', KEYS[i])
    if len >= op.cap then
      local unread = unreadOf(KEYS[i], op.group, len, len - op.cap + 1)
      if unread >= op.cap then return redis.error_reply('FULL ' .. (i - 1) .. ' ' .. unread) end
    end
  end
end
local ids = {}
for i, op in ipairs(ops) do
  if op.group then
    ids[i] = redis.call('XADD', KEYS[i], '*', unpack(op.f))
    trimRead(KEYS[i], op.group, op.max)
  else
    ids[i] = redis.call('XADD', KEYS[i], 'MAXLEN', '~', op.max, '*', unpack(op.f))
  end
  if op.ttl then redis.call('PEXPIRE', KEYS[i], op.ttl) end
end
return ids`;

/** The script's arguments for `ops`: number of keys, keys, then the JSON of the ops. */
export function appendKeepingUnreadArgs(ops: AppendOp[]): (string | number)[] {
  const json = ops.map((op) => ({
    f: Object.entries(op.fields).flatMap(([k, v]) => [k, String(v)]),
    max: op.maxLen ?? DEFAULT_MAXLEN,
    ...(op.keepUnread ? { group: op.keepUnread.group, cap: op.keepUnread.maxUnread } : {}),
    ...(op.ttlSec !== undefined ? { ttl: Math.max(1, Math.round(op.ttlSec * 1000)) } : {}),
  }));
  return [ops.length, ...ops.map((op) => op.stream), JSON.stringify(json)];
}

/** The InboxFullError for the script's `FULL` reply, or null for any other error. */
export function inboxFullFrom(err: unknown, ops: AppendOp[]): InboxFullError | null {
  const m = err instanceof Error ? /\bFULL (\d+) (\d+)/.exec(err.message) : null;
  const op = m ? ops[Number(m[1])] : undefined;
  if (!m || !op) return null;
  const unread = Number(m[2]);
  return new InboxFullError(
    `The stream ${JSON.stringify(op.stream)} holds ${unread} unread entries, its limit`,
    op.stream,
    unread,
    { cause: err },
  );
}
