/**
 * The Redis engine: executes the port's operations as Redis commands on the full
 * key names it is given, so that it shares a database with the original tool
 * (see shared/WIRE.md). Blocking reads live in `redis_pool.ts`.
 */
import { redactUrl } from "../config.ts";
import { MeshError, StoreError } from "../errors.ts";
import type {
  AppendOp,
  BlockOptions,
  Fields,
  SendOutcome,
  SendPlan,
  Store,
  StreamBatch,
  StreamEntry,
  Verdict,
  Writes,
} from "./port.ts";
import { isReplyError, toStoreError, unreachableError } from "./redis_errors.ts";
import type { OriginalCursor } from "./redis_cursors.ts";
import { ACK_LUA, ackArgs, inboxFullFrom, SEND_LUA, sendArgs } from "./redis_scripts.ts";
import { backoff, BlockingPool, blockUntil, hangUp } from "./redis_pool.ts";
import { type Arg, parseRedisUrl, type RedisAddress, RedisClient, Script } from "./redis/client.ts";

/** How long opening may take before Redis counts as unreachable. */
const OPEN_TIMEOUT_MS = 2000;
/**
 * Longest wait for the answer to one non-blocking command. A frozen Redis (SIGSTOP,
 * a stuck host) keeps its sockets open: without this, a call would wait forever.
 */
export const COMMAND_TIMEOUT_MS = 5000;
/** Reconnects a queued command waits through (some 11 s of backoff) before it fails. */
const MAX_RETRIES = 10;
/** Slice of a plain blocking read: bounds how long a silently dead socket goes unnoticed. */
const READ_SLICE_MS = 30_000;
/**
 * The one consumer name of every reader. Exclusivity comes from XREADGROUP `>` and
 * the atomic XAUTOCLAIM; per-process names would only pile up in the group.
 */
const CONSUMER = "agent-mesh";
const DEFAULT_COUNT = 50;
const DEFAULT_LEASE_MS = 10_000;
/** XAUTOCLAIM calls per stream and consume: each scans up to 10 × COUNT pending entries. */
const MAX_CLAIM_PAGES = 10;

const SEND = new Script(SEND_LUA);
const ACK = new Script(ACK_LUA);

/**
 * Opens the Redis at `url` (redis:// or rediss://), checking that it answers.
 * `originalCursor` tells where a new consumer group starts when the original
 * tool has read the stream before (redis_cursors.ts).
 */
export async function openRedisStore(
  url: string,
  originalCursor?: OriginalCursor,
): Promise<Store> {
  const location = redactUrl(url);
  let address: RedisAddress;
  try {
    address = parseRedisUrl(url);
  } catch (err) {
    throw new StoreError(`Invalid Redis URL "${location}"`, { cause: err });
  }
  let lastSeen: unknown;
  const main = new RedisClient(address, {
    connectTimeoutMs: OPEN_TIMEOUT_MS,
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: MAX_RETRIES,
    // Reconnects only once open: an unreachable Redis is reported at once.
    retryDelay: backoff,
    onError: (err) => lastSeen = err,
    onReady: () => lastSeen = undefined,
  });
  try {
    await withDeadline(main.connect().then(() => main.call("PING")), OPEN_TIMEOUT_MS);
  } catch (err) {
    await hangUp(main);
    throw unreachableError(location, err, lastSeen);
  }
  return new RedisStore(main, location, () => lastSeen, originalCursor);
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`connect ETIMEDOUT after ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

// ---- replies ----

function toFields(flat: unknown): Fields {
  const fields: Fields = {};
  const list = flat as string[];
  for (let i = 0; i + 1 < list.length; i += 2) fields[list[i]] = list[i + 1];
  return fields;
}

/** Entries of an XRANGE-like reply; deleted entries (nil fields) are dropped. */
function toEntries(raw: unknown): StreamEntry[] {
  const out: StreamEntry[] = [];
  for (const item of (raw ?? []) as [string, unknown][]) {
    if (Array.isArray(item) && Array.isArray(item[1])) {
      out.push({ id: item[0], fields: toFields(item[1]) });
    }
  }
  return out;
}

/** Batches of an XREAD/XREADGROUP reply, leaving out streams without entries. */
function toBatches(raw: unknown): StreamBatch[] {
  const out: StreamBatch[] = [];
  for (const [stream, entries] of (raw ?? []) as [string, unknown][]) {
    const list = toEntries(entries);
    if (list.length) out.push({ stream, entries: list });
  }
  return out;
}

/** `SET`/`EXPIRE` take whole seconds; a fractional TTL goes by milliseconds instead. */
function ttlArgs(ttlSec: number): string[] {
  return Number.isInteger(ttlSec)
    ? ["EX", String(ttlSec)]
    : ["PX", String(Math.round(ttlSec * 1000))];
}

/** SCAN MATCH pattern for keys starting with `prefix`, its glob characters escaped. */
export function prefixPattern(prefix: string): string {
  return prefix.replace(/[\\*?[\]]/g, "\\$&") + "*";
}

function isNoGroup(err: unknown): boolean {
  // UNBLOCKED: Redis 7 ends a blocked XREADGROUP so when its stream or group is deleted.
  return isReplyError(err) && /^(NOGROUP|UNBLOCKED)\b|\bNOGROUP\b/.test((err as Error).message);
}

class RedisStore implements Store {
  readonly engine = "redis" as const;
  readonly location: string;
  #main: RedisClient;
  #pool: BlockingPool;
  #lastSeen: () => unknown;
  #originalCursor?: OriginalCursor;
  #closed = false;

  constructor(
    main: RedisClient,
    location: string,
    lastSeen: () => unknown,
    originalCursor?: OriginalCursor,
  ) {
    this.#main = main;
    this.#originalCursor = originalCursor;
    this.location = location;
    this.#lastSeen = lastSeen;
    this.#pool = new BlockingPool(main);
  }

  /** Runs one step, mapping any failure to a StoreError naming `what`. */
  async #run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError(`The Redis store at ${this.location} is closed`);
    try {
      return await fn();
    } catch (err) {
      if (this.#closed) {
        throw new StoreError(`The Redis store at ${this.location} is closed`, { cause: err });
      }
      if (err instanceof MeshError) throw err; // a refusal (full inbox), reported as is
      throw toStoreError(this.location, what, err, this.#lastSeen());
    }
  }

  #call(...args: Arg[]): Promise<unknown> {
    const [cmd, ...rest] = args;
    return this.#main.call(String(cmd), ...rest);
  }

  /** Runs `s` with `args` as EVAL takes them (number of keys, keys, arguments). */
  #eval(s: Script, args: Arg[]): Promise<unknown> {
    const n = Number(args[0]);
    return this.#main.evalScript(s, args.slice(1, 1 + n).map(String), args.slice(1 + n));
  }

  // ---- streams ----

  async appendMany(ops: AppendOp[]): Promise<string[]> {
    if (!ops.length) return [];
    return (await this.send({ writes: { appends: ops } })).ids;
  }

  // ---- messages ----

  send(plan: SendPlan): Promise<SendOutcome> {
    const first = plan.writes.appends?.[0]?.stream ?? plan.gate?.audit.stream ?? "";
    return this.#run(`XADD "${first}"`, async () => {
      // One script: the count, the audit entry, the message and its views.
      let raw: unknown[];
      try {
        raw = (await this.#eval(SEND, sendArgs(plan))) as unknown[];
      } catch (err) {
        throw inboxFullFrom(err, plan.writes.appends ?? []) ?? err;
      }
      const [count, verdict, ...ids] = raw;
      return { count: Number(count), verdict: verdict as Verdict, ids: ids.map(String) };
    });
  }

  read(cursors: Record<string, string>, options: BlockOptions = {}): Promise<StreamBatch[]> {
    const streams = Object.keys(cursors);
    if (!streams.length || options.signal?.aborted) return Promise.resolve([]);
    const count = options.count ?? DEFAULT_COUNT;
    const tail = ["STREAMS", ...streams, ...streams.map((s) => cursors[s])];
    return this.#run(`XREAD "${streams[0]}"`, async () => {
      if (!options.blockMs || options.blockMs <= 0) {
        return toBatches(await this.#call("XREAD", "COUNT", count, ...tail));
      }
      const signal = this.#pool.signalFor(options.signal);
      const got = await blockUntil(
        options.blockMs,
        READ_SLICE_MS,
        signal,
        (ms) =>
          this.#pool.use(ms, signal, async (conn) => {
            const raw = await conn.call("XREAD", "COUNT", count, "BLOCK", ms, ...tail);
            const batches = toBatches(raw);
            return batches.length ? batches : null;
          }),
      );
      return got ?? [];
    });
  }

  range(stream: string, start = "-", end = "+", count?: number): Promise<StreamEntry[]> {
    const extra = count === undefined ? [] : ["COUNT", count];
    return this.#run(`XRANGE "${stream}"`, async () => {
      return toEntries(await this.#call("XRANGE", stream, start, end, ...extra));
    });
  }

  revRange(stream: string, count: number): Promise<StreamEntry[]> {
    return this.#run(`XREVRANGE "${stream}"`, async () => {
      return toEntries(await this.#call("XREVRANGE", stream, "+", "-", "COUNT", count));
    });
  }

  length(stream: string): Promise<number> {
    return this.#run(`XLEN "${stream}"`, async () => Number(await this.#call("XLEN", stream)));
  }

  // ---- consumer groups ----

  ensureGroup(stream: string, group: string, startId: string): Promise<void> {
    // Where the original tool left off, when it read this stream for this agent.
    const start = this.#originalCursor?.(stream, group) ?? startId;
    return this.#run(`XGROUP CREATE "${stream}"`, () => this.#createGroup(stream, group, start));
  }

  async #createGroup(stream: string, group: string, startId: string): Promise<void> {
    try {
      await this.#call("XGROUP", "CREATE", stream, group, startId, "MKSTREAM");
    } catch (err) {
      if (!(isReplyError(err) && /^BUSYGROUP\b/.test((err as Error).message))) throw err;
    }
  }

  async consume(
    group: string,
    streams: string[],
    options: BlockOptions & {
      leaseMs?: number;
      views?: (taken: StreamBatch[]) => Writes;
      sweep?: boolean;
    } = {},
  ): Promise<StreamBatch[]> {
    const taken = await this.#consume(group, streams, options);
    // The views of a take follow it in one round trip of their own (a blocking read
    // cannot run inside a script); they never fail the take.
    if (options.views && taken.length > 0) {
      const views = options.views(taken);
      await this.#run("views", () => this.#eval(SEND, sendArgs({ writes: {}, views }))).catch(
        () => {},
      );
    }
    return taken;
  }

  #consume(
    group: string,
    streams: string[],
    options: BlockOptions & { leaseMs?: number; sweep?: boolean },
  ): Promise<StreamBatch[]> {
    if (!streams.length || options.signal?.aborted) return Promise.resolve([]);
    const count = options.count ?? DEFAULT_COUNT;
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    let recreated = false;
    let sweep = options.sweep ?? true;
    // One attempt: reclaim expired leases, else take new entries (blocking up to ms).
    const take = async (conn: RedisClient, ms: number): Promise<StreamBatch[] | null> => {
      try {
        const claimed = sweep ? await this.#claim(conn, group, streams, count, leaseMs) : [];
        sweep = true;
        if (claimed.length) return claimed;
        const block = ms > 0 ? ["BLOCK", ms] : [];
        const raw = await conn.call(
          "XREADGROUP",
          "GROUP",
          group,
          CONSUMER,
          "COUNT",
          count,
          ...block,
          "STREAMS",
          ...streams,
          ...streams.map(() => ">"),
        );
        recreated = false;
        const batches = toBatches(raw);
        return batches.length ? batches : null;
      } catch (err) {
        // The stream was deleted (and its group with it): recreate, then retry once,
        // without blocking: a blocking caller's loop blocks again for the time left.
        if (recreated || !isNoGroup(err)) throw err;
        recreated = true;
        for (const s of streams) await this.#createGroup(s, group, "0");
        return await take(conn, 0);
      }
    };
    return this.#run(`XREADGROUP "${streams[0]}"`, async () => {
      if (!options.blockMs || options.blockMs <= 0) return (await take(this.#main, 0)) ?? [];
      const signal = this.#pool.signalFor(options.signal);
      // Slices of half a lease: a lease running out is noticed without any new append.
      const slice = Math.max(1, Math.floor(leaseMs / 2));
      const got = await blockUntil(
        options.blockMs,
        slice,
        signal,
        (ms) => this.#pool.use(ms, signal, (conn) => take(conn, ms)),
      );
      return got ?? [];
    });
  }

  /** Entries whose lease ran out, per stream (XAUTOCLAIM from 0-0). */
  async #claim(
    conn: RedisClient,
    group: string,
    streams: string[],
    count: number,
    leaseMs: number,
  ): Promise<StreamBatch[]> {
    const batches = await Promise.all(streams.map(async (stream) => {
      const entries: StreamEntry[] = [];
      let start = "0-0";
      for (let page = 0; page < MAX_CLAIM_PAGES && entries.length < count; page++) {
        const [next, raw] = (await conn.call(
          "XAUTOCLAIM",
          stream,
          group,
          CONSUMER,
          leaseMs,
          start,
          "COUNT",
          count - entries.length,
        )) as [string, unknown];
        entries.push(...toEntries(raw));
        start = next;
        if (start === "0-0") break;
      }
      return { stream, entries };
    }));
    return batches.filter((b) => b.entries.length);
  }

  ack(
    stream: string,
    group: string,
    ids: string[],
    options: { views?: Writes; keepRead?: number } = {},
  ): Promise<void> {
    if (!ids.length) return Promise.resolve();
    const { views, keepRead } = options;
    return this.#run(`XACK "${stream}"`, async () => {
      try {
        if (views || keepRead !== undefined) {
          await this.#eval(ACK, ackArgs(stream, group, ids, keepRead ?? 0, views));
        } else await this.#call("XACK", stream, group, ...ids);
      } catch (err) {
        // The stream or group is gone, and with it the entries: nothing left to hand out.
        if (!isNoGroup(err)) throw err;
      }
    });
  }

  // ---- strings and counters ----

  set(key: string, value: string, ttlSec?: number): Promise<void> {
    const ttl = ttlSec === undefined ? [] : ttlArgs(ttlSec);
    return this.#run(`SET "${key}"`, async () => {
      await this.#call("SET", key, value, ...ttl);
    });
  }

  get(key: string): Promise<string | null> {
    return this.#run(`GET "${key}"`, async () => {
      try {
        return (await this.#call("GET", key)) as string | null;
      } catch (err) {
        // Not a string key: as MGET does, report it as absent.
        if (isReplyError(err) && /^WRONGTYPE\b/.test((err as Error).message)) return null;
        throw err;
      }
    });
  }

  getMany(keys: string[]): Promise<(string | null)[]> {
    if (!keys.length) return Promise.resolve([]);
    return this.#run(`MGET "${keys[0]}"`, async () => {
      return (await this.#call("MGET", ...keys)) as (string | null)[];
    });
  }

  // ---- any key ----

  scan(prefix: string, type?: "string" | "stream"): Promise<string[]> {
    // COUNT 10,000: one round trip per 10,000 keys of the database rather than ten.
    const match = [
      "MATCH",
      prefixPattern(prefix),
      "COUNT",
      10_000,
      ...(type ? ["TYPE", type] : []),
    ];
    return this.#run(`SCAN "${prefix}*"`, async () => {
      // SCAN may return a key twice (rehashing): collect into a set.
      const keys = new Set<string>();
      let cursor = "0";
      do {
        const [next, batch] = (await this.#call("SCAN", cursor, ...match)) as [string, string[]];
        for (const k of batch) keys.add(k);
        cursor = next;
      } while (cursor !== "0");
      return [...keys].sort();
    });
  }

  del(...keys: string[]): Promise<number> {
    if (!keys.length) return Promise.resolve(0);
    return this.#run(`DEL "${keys[0]}"`, async () => Number(await this.#call("DEL", ...keys)));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
    await hangUp(this.#main);
  }
}
