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
  gateVerdict,
  type SendOutcome,
  type SendPlan,
  type Store,
  type StreamBatch,
  type StreamEntry,
  type Writes,
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
  purgeDue,
  purgeExpired,
  trimReadHistory,
  waiterPorts,
} from "./sqlite_streams.ts";
import { FIRST_POS, parseBound, parseId, type StreamPos } from "./stream_id.ts";
import { getString, getStrings, incrementWindow, scanKeys, setString } from "./sqlite_strings.ts";
import { type Subscription, Waker } from "./waker.ts";

/** Entries per stream of `read` and `consume` when no count is given. */
const DEFAULT_COUNT = 50;
/** Lease of a consumed entry when none is given, in ms. */
const DEFAULT_LEASE_MS = 10_000;
// Expired keys read as absent at once; they are deleted physically by a process's
// first write when any are due, then after this many writes or this much time.
const HOUSEKEEP_WRITES = 500;
const HOUSEKEEP_MS = 60_000;

/**
 * Opens (creating when missing) the embedded store in the SQLite file at `path`.
 * Opening an existing file writes nothing: expired rows are purged by the first
 * write that finds some (see `#wrote`).
 */
export async function openSqliteStore(path: string): Promise<Store> {
  return new SqliteStore(await SqliteDb.open(path));
}

/** The embedded engine. Create it with `openSqliteStore`. */
class SqliteStore implements Store {
  readonly engine = "embedded";
  readonly location: string;
  readonly #db: SqliteDb;
  readonly #waker: Waker;
  #writes = HOUSEKEEP_WRITES;
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

  /** Deletes expired keys and waiter rows for good, when any are due (a read finds out). */
  async housekeep(): Promise<void> {
    this.#writes = 0;
    this.#housekeptAt = Date.now();
    if (!(await this.#db.tx("read", () => purgeDue(this.#db, Date.now())))) return;
    await this.#db.tx("write", () => purgeExpired(this.#db, Date.now()));
  }

  // ---- streams ----

  async appendMany(ops: AppendOp[]): Promise<string[]> {
    if (ops.length === 0) return [];
    ops.forEach(checkOp);
    return await this.#writeAndWake((tx) => tx.apply({ appends: ops }));
  }

  // ---- messages ----

  async send(plan: SendPlan): Promise<SendOutcome> {
    const gate = plan.gate;
    if (gate) {
      checkSeconds(gate.windowSec);
      checkOp(gate.audit);
    }
    checkWrites(plan.writes);
    if (plan.views) checkWrites(plan.views);
    // One transaction: the count, the audit entry, the message and its views.
    return await this.#writeAndWake((tx) => {
      let count = 0;
      if (gate) {
        try {
          count = incrementWindow(this.#db, gate.key, gate.windowSec, tx.now);
        } catch (err) {
          // A counter that is not one (it throws before writing) lets the send through.
          if (!(err instanceof StoreError)) throw err;
        }
      }
      const verdict = gate ? gateVerdict(count, gate.limit, gate.enforce) : "allow";
      if (gate) {
        const fields = { ...gate.audit.fields, rate: String(count), verdict };
        tx.apply({ appends: [{ ...gate.audit, fields }] });
      }
      if (verdict === "deny") return { count, verdict, ids: [] };
      const ids = tx.apply(plan.writes);
      if (plan.views) tx.applyViews(plan.views);
      return { count, verdict, ids };
    });
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
    options: BlockOptions & { leaseMs?: number; views?: (taken: StreamBatch[]) => Writes } = {},
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
      // The take and what it records (the messages' states) are one transaction.
      return await this.#writeAndWake((tx) => {
        const taken = take(this.#db, group, unique, count, leaseMs, tx.now);
        if (options.views && taken.batches.length > 0) {
          tx.applyViews(options.views(taken.batches));
        }
        return taken;
      });
    });
  }

  async ack(
    stream: string,
    group: string,
    ids: string[],
    options: { views?: Writes; keepRead?: number } = {},
  ): Promise<void> {
    if (ids.length === 0) return;
    const seqs = ids.map((id) => parseId(id).seq);
    const { views, keepRead } = options;
    if (views) checkWrites(views);
    await this.#writeAndWake((tx) => {
      ack(this.#db, stream, group, seqs);
      if (keepRead !== undefined) trimReadHistory(this.#db, stream, group, keepRead);
      if (views) tx.applyViews(views);
    });
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

  /**
   * Runs `fn` in a write transaction with a `WriteTx` to write through, then wakes
   * the blocked readers of the streams it appended to, and housekeeps now and then.
   */
  async #writeAndWake<T>(fn: (tx: WriteTx) => T): Promise<T> {
    const { result, streams, ports } = await this.#db.tx("write", () => {
      const tx = new WriteTx(this.#db, Date.now());
      const result = fn(tx);
      // Read inside the transaction: a reader registers before its last look, so
      // it either sees these entries or is in this list.
      const ports = tx.streams.size ? waiterPorts(this.#db, tx.streams, tx.now) : new Map();
      return { result, streams: [...tx.streams], ports };
    });
    if (streams.length > 0) {
      this.#waker.notify(streams);
      await this.#waker.send(ports);
    }
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

/**
 * Writes inside one transaction of `#writeAndWake`, keeping the streams appended
 * to. `fn` of a transaction may run again (busy retry): a WriteTx is made per run.
 */
class WriteTx {
  readonly streams = new Set<string>();
  constructor(readonly db: SqliteDb, readonly now: number) {}

  /** Appends, then sets; returns the appended ids. Throws (and so rolls back) on any failure. */
  apply(writes: Writes): string[] {
    const ids = (writes.appends ?? []).map((op) => {
      this.streams.add(op.stream);
      return appendEntry(this.db, op, op.maxLen ?? DEFAULT_MAXLEN, this.now);
    });
    for (const op of writes.sets ?? []) setString(this.db, op.key, op.value, op.ttlSec, this.now);
    return ids;
  }

  /**
   * Applies each write on its own, skipping one that the store refuses (a key of
   * another type): views are best effort and never fail what they go with.
   */
  applyViews(writes: Writes): void {
    for (const op of writes.appends ?? []) {
      try {
        this.apply({ appends: [op] });
      } catch (err) {
        if (!(err instanceof StoreError)) throw err; // refused before writing anything
      }
    }
    if (writes.sets?.length) this.apply({ sets: writes.sets });
  }
}

function checkWrites(writes: Writes): void {
  (writes.appends ?? []).forEach(checkOp);
  for (const op of writes.sets ?? []) if (op.ttlSec !== undefined) checkSeconds(op.ttlSec);
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
