/**
 * The Redis engine's scripts, each one round trip that does one operation of the
 * port whole: `SEND_LUA` (a message: the gate, the audit entry, the appends, the
 * sets and the views) and `ACK_LUA` (an acknowledgement with its views, and the
 * trim of the inbox's read history, by its owner). Inboxes keep what their
 * consumer group has not acknowledged: never trimmed, and a full one refuses a
 * send before anything is written.
 */
import { InboxFullError } from "../errors.ts";
import { type AppendOp, DEFAULT_MAXLEN, type SendPlan, type SetOp, type Writes } from "./port.ts";

const HELPERS_LUA = `
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


local function xadd(op)
  local key = KEYS[op.k]
  local id
  if op.group then
    -- Its read history is trimmed by its owner's acknowledgements (ACK_LUA).
    id = redis.call('XADD', key, '*', unpack(op.f))
  else
    id = redis.call('XADD', key, 'MAXLEN', '~', op.max, '*', unpack(op.f))
  end
  if op.ttl then redis.call('PEXPIRE', key, op.ttl) end
  return id
end

local function set(op)
  if op.ttl then
    redis.call('SET', KEYS[op.k], op.v, 'PX', op.ttl)
  else
    redis.call('SET', KEYS[op.k], op.v)
  end
end

-- Views are best effort: a key of another type skips the write, nothing else.
local function views(v)
  if not v then return end
  for _, op in ipairs(v.a or {}) do
    local key = KEYS[op.k]
    if redis.call('TYPE', key).ok ~= 'string' then
      redis.pcall('XADD', key, 'MAXLEN', '~', op.max, '*', unpack(op.f))
      if op.ttl then redis.pcall('PEXPIRE', key, op.ttl) end
    end
  end
  for _, op in ipairs(v.s or {}) do set(op) end
end
`;

/**
 * KEYS: every key the plan names. ARGV[1]: the plan as JSON (see `sendArgs`).
 * Returns `{count, verdict, id...}`, or the error `FULL <append index> <unread>`
 * before anything is written.
 */
export const SEND_LUA = HELPERS_LUA + `
local p = cjson.decode(ARGV[1])
local appends = (p.w and p.w.a) or {}
for i, op in ipairs(appends) do
  if op.group then
    local len = redis.call('XLEN', KEYS[op.k])
    if len >= op.cap then
      local unread = unreadOf(KEYS[op.k], op.group, len, len - op.cap + 1)
      if unread >= op.cap then return redis.error_reply('FULL ' .. (i - 1) .. ' ' .. unread) end
    end
  end
end
local count, verdict = 0, 'allow'
if p.g then
  -- The original's gate: INCR, EXPIRE when new or without expiry; a failing counter counts 0.
  local key = KEYS[p.g.k]
  local n = redis.pcall('INCR', key)
  if type(n) == 'number' then
    count = n
    if n == 1 or redis.call('TTL', key) == -1 then redis.call('EXPIRE', key, p.g.win) end
  end
  if count > p.g.limit then verdict = p.g.enforce and 'deny' or 'observe' end
  local audit = p.g.audit
  audit.f[audit.rate] = tostring(count)
  audit.f[audit.verdict] = verdict
  xadd(audit)
end
local out = {count, verdict}
if verdict == 'deny' then return out end
for _, op in ipairs(appends) do table.insert(out, xadd(op)) end
for _, op in ipairs((p.w and p.w.s) or {}) do set(op) end
views(p.v)
return out`;

/**
 * KEYS[1]: the stream, then the views' keys. ARGV: the group, the number of read
 * entries to keep (0: no trim), the views as JSON, then the ids. Returns how many
 * entries were acknowledged.
 */
export const ACK_LUA = HELPERS_LUA + `
local n = redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 4))
local keep = tonumber(ARGV[2])
if keep > 0 then trimRead(KEYS[1], ARGV[1], keep) end
views(cjson.decode(ARGV[3]))
return n`;

/** Keys of one script call, each given once, and its JSON-encoded ops referring to them. */
class KeyList {
  readonly keys: string[] = [];
  #index = new Map<string, number>();
  constructor(first: string[] = []) {
    for (const key of first) this.of(key);
  }
  /** The 1-based index of `key` in KEYS. */
  of(key: string): number {
    let i = this.#index.get(key);
    if (i === undefined) this.#index.set(key, i = this.keys.push(key));
    return i;
  }
  append(op: AppendOp) {
    return {
      k: this.of(op.stream),
      f: Object.entries(op.fields).flatMap(([k, v]) => [k, String(v)]),
      max: op.maxLen ?? DEFAULT_MAXLEN,
      ...(op.keepUnread ? { group: op.keepUnread.group, cap: op.keepUnread.maxUnread } : {}),
      ...(op.ttlSec !== undefined ? { ttl: ms(op.ttlSec) } : {}),
    };
  }
  set(op: SetOp) {
    return {
      k: this.of(op.key),
      v: op.value,
      ...(op.ttlSec !== undefined ? { ttl: ms(op.ttlSec) } : {}),
    };
  }
  writes(w: Writes | undefined) {
    // cjson encodes an empty table as {}: lists are left out rather than sent empty.
    if (!w) return undefined;
    return {
      ...(w.appends?.length ? { a: w.appends.map((op) => this.append(op)) } : {}),
      ...(w.sets?.length ? { s: w.sets.map((op) => this.set(op)) } : {}),
    };
  }
}

function ms(sec: number): number {
  return Math.max(1, Math.round(sec * 1000));
}

/** SEND_LUA's arguments for `plan`: number of keys, keys, the plan's JSON. */
export function sendArgs(plan: SendPlan): (string | number)[] {
  const keys = new KeyList();
  const json: Record<string, unknown> = { w: keys.writes(plan.writes) };
  if (plan.gate) {
    const g = plan.gate;
    const audit = keys.append(g.audit);
    // The audit's `rate` and `verdict` values (1-based in the flat list), filled in by the script.
    const names = audit.f.filter((_, i) => i % 2 === 0);
    const at = (name: string) => {
      const i = names.indexOf(name);
      if (i >= 0) return 2 * i + 2;
      audit.f.push(name, "");
      return audit.f.length;
    };
    const rate = at("rate");
    const verdict = at("verdict");
    json.g = {
      k: keys.of(g.key),
      win: g.windowSec,
      limit: g.limit,
      enforce: g.enforce,
      audit: { ...audit, rate, verdict },
    };
  }
  if (plan.views) json.v = keys.writes(plan.views);
  return [keys.keys.length, ...keys.keys, JSON.stringify(json)];
}

/** ACK_LUA's arguments. */
export function ackArgs(
  stream: string,
  group: string,
  ids: string[],
  keep: number,
  views?: Writes,
): (string | number)[] {
  const keys = new KeyList([stream]);
  const v = JSON.stringify(keys.writes(views) ?? {});
  return [keys.keys.length, ...keys.keys, group, keep, v, ...ids];
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
