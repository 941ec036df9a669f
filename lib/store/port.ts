/**
 * The storage port: a small, Redis-shaped interface that the messaging logic is
 * written against once. Two engines implement it: `sqlite.ts` (embedded, default)
 * and `redis.ts` (Redis Streams, wire-compatible with the original tool).
 *
 * Keys are full key names (prefix included); the port never adds a prefix. No
 * driver type crosses this interface.
 *
 * Deliberately left out: transactions across arbitrary operations, pub/sub,
 * key types other than strings, counters and streams.
 */

/** Field/value pairs of one stream entry. All values are strings, as on Redis. */
export type Fields = Record<string, string>;

/** One stream entry. `id` is Redis-shaped (`<ms>-<seq>`) and orders entries of one stream. */
export interface StreamEntry {
  id: string;
  fields: Fields;
}

/** Entries read from one stream. */
export interface StreamBatch {
  stream: string;
  entries: StreamEntry[];
}

/** One append of `appendMany`. */
export interface AppendOp {
  stream: string;
  fields: Fields;
  /** Approximate cap on the stream's length (default 2000, as the original). */
  maxLen?: number;
  /** When set, the stream expires this many seconds after the append. */
  ttlSec?: number;
  /**
   * Keeps the entries that consumer group `group` has not acknowledged (every entry
   * while the group does not exist): they are never trimmed, and `maxLen` then
   * counts only acknowledged entries. When the stream holds `maxUnread` unread
   * entries already, the whole call is refused with an InboxFullError and nothing
   * of it is written.
   */
  keepUnread?: { group: string; maxUnread: number };
}

/** Options of a blocking read. */
export interface BlockOptions {
  /** Most entries returned per stream (default 50). */
  count?: number;
  /**
   * Wait up to this many ms for an entry when none is there yet. 0 or undefined
   * returns at once.
   */
  blockMs?: number;
  /** Aborting it ends the wait promptly; the read then resolves with what it has (usually nothing). */
  signal?: AbortSignal;
}

/** Default approximate cap of every stream. */
export const DEFAULT_MAXLEN = 2000;

/** The engines' common interface. */
export interface Store {
  /** Which engine this is. */
  readonly engine: "embedded" | "redis";
  /** Where the data lives: the SQLite path, or the Redis URL with its password hidden. */
  readonly location: string;

  // ---- streams ----

  /** Appends one entry (approximate cap `maxLen`, default 2000); returns its id. */
  append(stream: string, fields: Fields, maxLen?: number): Promise<string>;
  /** Appends several entries in one round trip / one transaction; returns their ids in order. */
  appendMany(ops: AppendOp[]): Promise<string[]>;
  /**
   * Reads entries after each stream's cursor (exclusive). A cursor is an entry id
   * or `"0"` (from the start). With `blockMs`, waits until at least one stream has
   * an entry after its cursor, the time is up, or `signal` aborts. Streams with no
   * new entries are left out of the result.
   */
  read(cursors: Record<string, string>, options?: BlockOptions): Promise<StreamBatch[]>;
  /** Entries of `stream` with `start <= id <= end` (`"-"`/`"+"` for the ends), oldest first, not consumed. */
  range(stream: string, start?: string, end?: string, count?: number): Promise<StreamEntry[]>;
  /** The newest `count` entries of `stream`, newest first, not consumed. */
  revRange(stream: string, count: number): Promise<StreamEntry[]>;
  /** Number of entries in `stream` (0 when it does not exist). */
  length(stream: string): Promise<number>;

  // ---- consumer groups: one entry, one taker ----

  /**
   * Creates consumer group `group` on `stream` when it does not exist yet, starting
   * after `startId` (`"0"`: every entry; `"$"`: only entries appended from now on).
   * Creates the stream when missing. Idempotent: an existing group keeps its position.
   */
  ensureGroup(stream: string, group: string, startId: string): Promise<void>;
  /**
   * Takes entries for `group` from each of `streams` (whose groups must exist): first
   * entries taken earlier but not acknowledged within `leaseMs` (their taker is
   * presumed dead), then entries never taken, oldest first, at most `count` per
   * stream. Each entry is given to exactly one caller, across processes and hosts,
   * until its lease runs out. Blocks like `read`.
   */
  consume(
    group: string,
    streams: string[],
    options?: BlockOptions & { leaseMs?: number },
  ): Promise<StreamBatch[]>;
  /** Acknowledges entries taken by `consume`: they are never given out again. */
  ack(stream: string, group: string, ids: string[]): Promise<void>;

  // ---- strings and counters ----

  /** Sets a string value, with an expiry in seconds when `ttlSec` is given. */
  set(key: string, value: string, ttlSec?: number): Promise<void>;
  /** The value of a live string key, or null. */
  get(key: string): Promise<string | null>;
  /** Values of several string keys in one round trip (null where missing). */
  getMany(keys: string[]): Promise<(string | null)[]>;
  /**
   * Fixed-window counter: increments `key` and returns the new count. The key
   * expires `windowSec` after the increment that created it (INCR + EXPIRE when the
   * count is 1 or the key has no expiry, as the original).
   */
  incrWindow(key: string, windowSec: number): Promise<number>;
  /**
   * `incrWindow(key, windowSec)`, then `appendMany(build(count))`, as one step: a
   * rate-gated send. The embedded engine runs both in one transaction, Redis in
   * two round trips. When the counter fails (say `key` holds a stream), `build`
   * gets 0 and the append goes on, as the original's gate lets sends through.
   * `build` must have no side effects: it may run again when a transaction is retried.
   */
  incrWindowAndAppend(
    key: string,
    windowSec: number,
    build: (count: number) => AppendOp[],
  ): Promise<{ count: number; ids: string[] }>;

  // ---- any key ----

  /** Names of live keys starting with `prefix`; `type` narrows to strings or streams. */
  scan(prefix: string, type?: "string" | "stream"): Promise<string[]>;
  /** Deletes keys of any type; returns how many existed. */
  del(...keys: string[]): Promise<number>;
  /** Sets an expiry in seconds on an existing key of any type; false when it does not exist. */
  expire(key: string, ttlSec: number): Promise<boolean>;

  /** Releases connections and handles. Blocked reads end with nothing. */
  close(): Promise<void>;
}
