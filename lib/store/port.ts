/**
 * The storage port: a small, Redis-shaped interface that the messaging logic is
 * written against once. Two engines implement it: `sqlite.ts` (embedded, default)
 * and `redis.ts` (Redis Streams, wire-compatible with the original tool).
 *
 * Keys are full key names (prefix included); the port never adds a prefix. No
 * driver type crosses this interface.
 *
 * Sending a message, taking it and acknowledging it are each one operation of the
 * port, with the writes that go with them (the audit entry, the message's state
 * and event): one transaction on SQLite, one script or one MULTI on Redis.
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
   * counts only acknowledged entries (trimmed by `ack` with `keepRead` on Redis). When the stream holds `maxUnread` unread
   * entries already, the whole call is refused with an InboxFullError and nothing
   * of it is written.
   */
  keepUnread?: { group: string; maxUnread: number };
}

/** One string value to set. */
export interface SetOp {
  key: string;
  value: string;
  /** When set, the key expires this many seconds after the write. */
  ttlSec?: number;
}

/** Writes that go together: appends, then sets. */
export interface Writes {
  appends?: AppendOp[];
  sets?: SetOp[];
}

/** What the rate gate decided for one send. */
export type Verdict = "allow" | "observe" | "deny";

/** The verdict for the `count`-th send in a window: over `limit` is observed, or denied when enforcing. */
export function gateVerdict(count: number, limit: number, enforce: boolean): Verdict {
  if (count <= limit) return "allow";
  return enforce ? "deny" : "observe";
}

/** The rate gate of one send. */
export interface GateOp {
  /** The fixed-window counter (INCR + EXPIRE when new, as the original). */
  key: string;
  windowSec: number;
  limit: number;
  enforce: boolean;
  /** The audit entry, appended whatever the verdict, with `rate` and `verdict` fields added. */
  audit: AppendOp;
}

/** One message to send: see `Store.send`. */
export interface SendPlan {
  gate?: GateOp;
  writes: Writes;
  views?: Writes;
}

/** What `Store.send` did. */
export interface SendOutcome {
  /** The window's count after this send (0 without a gate or when the counter failed). */
  count: number;
  verdict: Verdict;
  /** Ids of `writes.appends`, in order (none when denied). */
  ids: string[];
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
    options?: BlockOptions & {
      leaseMs?: number;
      /** Writes recorded with the take (best effort), built from what was taken. */
      views?: (taken: StreamBatch[]) => Writes;
      /**
       * False when the caller looked for expired leases less than half a lease ago:
       * the first attempt may then skip that look (on Redis, one round trip per
       * stream). Later attempts of a blocking call look as usual.
       */
      sweep?: boolean;
    },
  ): Promise<StreamBatch[]>;
  /**
   * Acknowledges entries taken by `consume`: they are never given out again. `views`
   * are written with the acknowledgement (best effort). With `keepRead`, the read
   * history of a stream appended to with `keepUnread` is trimmed to about that many
   * entries: on Redis it is trimmed here, by its owner, so that a sender needs no
   * right to trim another's inbox; the embedded engine trims on append as well.
   */
  ack(
    stream: string,
    group: string,
    ids: string[],
    options?: { views?: Writes; keepRead?: number },
  ): Promise<void>;

  // ---- strings and counters ----

  /** Sets a string value, with an expiry in seconds when `ttlSec` is given. */
  set(key: string, value: string, ttlSec?: number): Promise<void>;
  /** The value of a live string key, or null. */
  get(key: string): Promise<string | null>;
  /** Values of several string keys in one round trip (null where missing). */
  getMany(keys: string[]): Promise<(string | null)[]>;
  // ---- messages: each one transaction (embedded) or one script (Redis) ----

  /**
   * Sends one message: counts the sender→target rate window and appends the audit
   * entry (when `plan.gate`), then, unless the gate denies it, does `plan.writes`
   * (all or nothing: a full inbox refuses the whole call with an InboxFullError and
   * nothing is written, not even the count) and `plan.views` (best effort: they
   * never fail the send). A counter that fails (its key holds something else)
   * counts 0 and lets the send through, as the original's gate does.
   */
  send(plan: SendPlan): Promise<SendOutcome>;
  // ---- any key ----

  /** Names of live keys starting with `prefix`; `type` narrows to strings or streams. */
  scan(prefix: string, type?: "string" | "stream"): Promise<string[]>;
  /** Deletes keys of any type; returns how many existed. */
  del(...keys: string[]): Promise<number>;
  /** Releases connections and handles. Blocked reads end with nothing. */
  close(): Promise<void>;
}
