/**
 * The embedded engine: the storage port on one SQLite file (`node:sqlite`), safe
 * for many processes of one host at once. Read-modify-writes run in BEGIN
 * IMMEDIATE transactions; blocked reads sleep until `waker.ts` says a stream they
 * wait on changed. Tables: `sqlite_schema.ts`; statements: `sqlite_streams.ts`
 * and `sqlite_groups.ts`.
 */
import { StoreError } from "../errors.ts";
import {
  type AppendOp,
  type BlockOptions,
  DEFAULT_MAXLEN,
  type Fields,
  type Store,
  type StreamBatch,
  type StreamEntry,
} from "./port.ts";
import { SqliteDb } from "./sqlite_db.ts";
import { ack, ensureGroup, mayTake, take, type TakeResult } from "./sqlite_groups.ts";
import {
  appendEntry,
  entriesAfter,
  entriesBetween,
  entriesNewest,
  liveKey,
  liveStream,
  purgeExpired,
  waiterPorts,
} from "./sqlite_streams.ts";
import { FIRST_POS, parseBound, parseId, type StreamPos } from "./stream_id.ts";
import { getString, getStrings, incrementWindow, scanKeys, setString } from "./sqlite_strings.ts";
import { type Subscription, Waker } from "./waker.ts";

/** Entries per stream of `read` and `consume` when no count is given. */
const DEFAULT_COUNT = 50;
/** Lease of a consumed entry when none is given, in ms. */
const DEFAULT_LEASE_MS = 10_000;
// Expired keys read as absent at once; they are deleted physically on open and
// after this many writes or this much time, whichever comes first.
const HOUSEKEEP_WRITES = 500;
const HOUSEKEEP_MS = 60_000;

/** Opens (creating when missing) the embedded store in the SQLite file at `path`. */
export async function openSqliteStore(path: string): Promise<Store> {
  const db = await SqliteDb.open(path);
  const store = new SqliteStore(db);
  try {
    await store.housekeep();
  } catch (err) {
    db.close();
    throw err;
  }
  return store;
}

/** The embedded engine. Create it with `openSqliteStore`. */
class SqliteStore implements Store {
  readonly engine = "embedded";
  readonly location: string;
  readonly #db: SqliteDb;
  readonly #waker: Waker;
  #writes = 0;
  #housekeptAt = 0;
  #closed = false;

  constructor(db: SqliteDb) {
    this.#db = db;
    this.location = db.path;
    this.#waker = new Waker({
      register: (streams, port, expiresMs) =>
        db.tx("write", () => {
          for (const stream of streams) {
            db.run(
              `INSERT INTO waiters (stream, port, expires_ms) VALUES (?, ?, ?)
               ON CONFLICT (stream, port) DO UPDATE SET expires_ms = excluded.expires_ms`,
              stream,
              port,
              expiresMs,
            );
          }
        }),
      unregister: (streams, port) =>
        db.tx("write", () => {
          for (const stream of streams) {
            db.run("DELETE FROM waiters WHERE stream = ? AND port = ?", stream, port);
          }
        }),
      dataVersion: () => db.dataVersion(),
    });
  }

  /** Deletes expired keys and waiter rows for good. */
  async housekeep(): Promise<void> {
    this.#writes = 0;
    this.#housekeptAt = Date.now();
    await this.#db.tx("write", () => purgeExpired(this.#db, Date.now()));
  }

  // ---- streams ----

  async append(stream: string, fields: Fields, maxLen?: number): Promise<string> {
    const [id] = await this.appendMany([{ stream, fields, maxLen }]);
    return id;
  }

  async appendMany(ops: AppendOp[]): Promise<string[]> {
    if (ops.length === 0) return [];
    const caps = ops.map(checkOp);
    const { ids, ports } = await this.#db.tx("write", () => {
      const now = Date.now();
      const ids = ops.map((op, i) => appendEntry(this.#db, op, caps[i], now));
      // Read inside the transaction: a reader registers before its last look, so
      // it either sees this entry or is in this list.
      return { ids, ports: waiterPorts(this.#db, new Set(ops.map((op) => op.stream)), now) };
    });
    this.#waker.notify(ops.map((op) => op.stream));
    await this.#waker.send(ports);
    await this.#wrote();
    return ids;
  }

  async read(cursors: Record<string, string>, options: BlockOptions = {}): Promise<StreamBatch[]> {
    const streams = Object.keys(cursors);
    const count = checkCount(options.count ?? DEFAULT_COUNT);
    // "$" (only what comes next, as on Redis) is resolved once, at the first look.
    const positions = new Map<string, StreamPos | null>(
      streams.map((s) => [s, cursors[s] === "$" ? null : cursorPos(cursors[s])]),
    );
    if (streams.length === 0) return [];
    return await this.#blocking(streams, options, () =>
      this.#db.tx("read", () => {
        const now = Date.now();
        const batches: StreamBatch[] = [];
        for (const stream of streams) {
          const key = liveStream(this.#db, stream, now);
          let pos = positions.get(stream) ?? null;
          if (pos === null) {
            pos = key ? { ms: key.last_ms, seq: key.last_seq } : FIRST_POS;
            positions.set(stream, pos);
          }
          if (!key) continue;
          const entries = entriesAfter(this.#db, stream, pos, count);
          if (entries.length > 0) batches.push({ stream, entries });
        }
        return { batches };
      }));
  }

  async range(stream: string, start = "-", end = "+", count?: number): Promise<StreamEntry[]> {
    const from = parseBound(start, "start");
    const to = parseBound(end, "end");
    // As Redis: no count is every entry, a count below 1 is none. (LIMIT -1: no limit.)
    const limit = count === undefined ? -1 : Math.floor(count);
    if (!from || !to || !(limit >= 1 || limit === -1 && count === undefined)) return [];
    return await this.#db.tx("read", () => {
      if (!liveStream(this.#db, stream, Date.now())) return [];
      return entriesBetween(this.#db, stream, from, to, limit);
    });
  }

  async revRange(stream: string, count: number): Promise<StreamEntry[]> {
    if (!(count >= 1)) return [];
    return await this.#db.tx("read", () => {
      if (!liveStream(this.#db, stream, Date.now())) return [];
      return entriesNewest(this.#db, stream, Math.floor(count));
    });
  }

  async length(stream: string): Promise<number> {
    const key = await this.#db.tx("read", () => liveStream(this.#db, stream, Date.now()));
    return key?.len ?? 0;
  }

  // ---- consumer groups ----

  async ensureGroup(stream: string, group: string, startId: string): Promise<void> {
    const start = startId === "$" ? null : cursorPos(startId);
    await this.#write((now) => ensureGroup(this.#db, stream, group, start, now));
  }

  async consume(
    group: string,
    streams: string[],
    options: BlockOptions & { leaseMs?: number } = {},
  ): Promise<StreamBatch[]> {
    const count = checkCount(options.count ?? DEFAULT_COUNT);
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    if (!Number.isFinite(leaseMs) || leaseMs < 0) {
      throw new StoreError(`Invalid lease "${leaseMs}": expected ms >= 0`);
    }
    const unique = [...new Set(streams)];
    if (unique.length === 0) return [];
    return await this.#blocking(unique, options, async () => {
      // A look first, without the write lock: most attempts find nothing.
      const look = await this.#db.tx(
        "read",
        () => mayTake(this.#db, group, unique, leaseMs, Date.now()),
      );
      if (!look.take) return { batches: [], wakeAt: look.wakeAt };
      return await this.#write((now) => take(this.#db, group, unique, count, leaseMs, now));
    });
  }

  async ack(stream: string, group: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const seqs = ids.map((id) => parseId(id).seq);
    await this.#write(() => ack(this.#db, stream, group, seqs));
  }

  // ---- strings and counters ----

  async set(key: string, value: string, ttlSec?: number): Promise<void> {
    if (ttlSec !== undefined) checkSeconds(ttlSec);
    await this.#write((now) => setString(this.#db, key, value, ttlSec, now));
  }

  get(key: string): Promise<string | null> {
    return this.#db.tx("read", () => getString(this.#db, key, Date.now()));
  }

  async getMany(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    return await this.#db.tx("read", () => getStrings(this.#db, keys, Date.now()));
  }

  async incrWindow(key: string, windowSec: number): Promise<number> {
    checkSeconds(windowSec);
    return await this.#write((now) => incrementWindow(this.#db, key, windowSec, now));
  }

  async incrWindowAndAppend(
    key: string,
    windowSec: number,
    build: (count: number) => AppendOp[],
  ): Promise<{ count: number; ids: string[] }> {
    checkSeconds(windowSec);
    // One transaction for the gate and the appends: half the commits of a send.
    const { count, ids, streams, ports } = await this.#db.tx("write", () => {
      const now = Date.now();
      let count = 0;
      try {
        count = incrementWindow(this.#db, key, windowSec, now);
      } catch (err) {
        // A counter that is not one (it throws before writing) lets the send through.
        if (!(err instanceof StoreError)) throw err;
      }
      const ops = build(count);
      const caps = ops.map(checkOp);
      const ids = ops.map((op, i) => appendEntry(this.#db, op, caps[i], now));
      const streams = ops.map((op) => op.stream);
      return { count, ids, streams, ports: waiterPorts(this.#db, new Set(streams), now) };
    });
    if (streams.length > 0) {
      this.#waker.notify(streams);
      await this.#waker.send(ports);
    }
    await this.#wrote();
    return { count, ids };
  }

  // ---- any key ----

  scan(prefix: string, type?: "string" | "stream"): Promise<string[]> {
    return this.#db.tx("read", () => scanKeys(this.#db, prefix, type, Date.now()));
  }

  del(...keys: string[]): Promise<number> {
    return this.#write((now) => {
      let existed = 0;
      for (const key of keys) {
        if (liveKey(this.#db, key, now, true)) existed++;
        this.#db.run("DELETE FROM keyspace WHERE name = ?", key);
      }
      return existed;
    });
  }

  async expire(key: string, ttlSec: number): Promise<boolean> {
    if (!Number.isFinite(ttlSec)) {
      throw new StoreError(`Invalid expiry "${ttlSec}": expected a number of seconds`);
    }
    return await this.#write((now) => {
      if (!liveKey(this.#db, key, now, true)) return false;
      if (ttlSec <= 0) {
        this.#db.run("DELETE FROM keyspace WHERE name = ?", key);
      } else {
        const expires = now + Math.round(ttlSec * 1000);
        this.#db.run("UPDATE keyspace SET expires_ms = ? WHERE name = ?", expires, key);
      }
      return true;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#waker.close();
    this.#db.close();
  }

  /** Runs `fn` in a write transaction, then housekeeps now and then. */
  async #write<T>(fn: (now: number) => T): Promise<T> {
    const result = await this.#db.tx("write", () => fn(Date.now()));
    await this.#wrote();
    return result;
  }

  /** Counts a write; housekeeps after enough of them or enough time. */
  async #wrote(): Promise<void> {
    if (++this.#writes < HOUSEKEEP_WRITES && Date.now() - this.#housekeptAt < HOUSEKEEP_MS) {
      return;
    }
    // Best effort: the next write tries again.
    await this.housekeep().catch(() => {});
  }

  /**
   * Runs `attempt` until it finds entries, the time is up, the signal aborts or
   * the store closes, sleeping in between until the waker or `wakeAt` says so.
   */
  async #blocking(
    streams: string[],
    options: BlockOptions,
    attempt: () => Promise<TakeResult>,
  ): Promise<StreamBatch[]> {
    const blockMs = options.blockMs ?? 0;
    const first = await attempt();
    if (first.batches.length > 0 || !(blockMs > 0) || options.signal?.aborted) {
      return first.batches;
    }
    const deadline = Date.now() + blockMs;
    if (this.#closed) return [];
    let sub: Subscription;
    try {
      sub = await this.#waker.subscribe(streams);
    } catch (err) {
      if (this.#closed) return []; // closed while registering
      throw err;
    }
    try {
      for (;;) {
        if (this.#closed || options.signal?.aborted) return [];
        // Taken before looking: a change during the look makes the wait return at once.
        const seen = sub.generation;
        let found: TakeResult;
        try {
          found = await attempt();
        } catch (err) {
          if (this.#closed) return [];
          throw err;
        }
        if (found.batches.length > 0) return found.batches;
        if (Date.now() >= deadline) return [];
        await sub.wait(seen, Math.min(deadline, found.wakeAt ?? Infinity), options.signal);
      }
    } finally {
      sub.release();
    }
  }
}

function checkOp(op: AppendOp): number {
  const maxLen = op.maxLen ?? DEFAULT_MAXLEN;
  if (!Number.isSafeInteger(maxLen) || maxLen < 0) {
    throw new StoreError(`Invalid stream cap "${op.maxLen}": expected a whole number >= 0`);
  }
  if (op.ttlSec !== undefined) checkSeconds(op.ttlSec);
  const most = op.keepUnread?.maxUnread;
  if (most !== undefined && !(Number.isSafeInteger(most) && most >= 1)) {
    throw new StoreError(`Invalid unread cap "${most}": expected a whole number >= 1`);
  }
  if (!op.fields || Object.keys(op.fields).length === 0) {
    throw new StoreError(`Cannot append an entry without fields to stream "${op.stream}"`);
  }
  return maxLen;
}

function checkSeconds(sec: number): void {
  if (!Number.isFinite(sec) || sec <= 0) {
    throw new StoreError(`Invalid expiry "${sec}": expected a number of seconds above 0`);
  }
}

function checkCount(count: number): number {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new StoreError(`Invalid count "${count}": expected a whole number >= 1`);
  }
  return count;
}

/** A read cursor: `"0"` or an entry id. */
function cursorPos(raw: string): StreamPos {
  return raw === "0" ? FIRST_POS : parseId(raw);
}
