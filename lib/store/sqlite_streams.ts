/**
 * Key and stream statements of the embedded engine. Each function runs inside a
 * transaction its caller opened (see `SqliteDb.tx`), and takes `now` from it so
 * that one transaction sees one time.
 */
import { InboxFullError, StoreError } from "../errors.ts";
import type { AppendOp, Fields, StreamEntry } from "./port.ts";
import type { SqliteDb } from "./sqlite_db.ts";
import type { StreamPos } from "./stream_id.ts";

/** A row of `keyspace`. */
export interface KeyRow {
  type: "string" | "stream";
  value: string | null;
  len: number;
  last_ms: number;
  last_seq: number;
  expires_ms: number | null;
}

interface EntryRow {
  id: number;
  ms: number;
  fields: string;
}

/** The StoreError of an operation on a key of the other type (Redis's WRONGTYPE). */
export function wrongType(name: string, type: KeyRow["type"]): StoreError {
  return new StoreError(
    `The key ${JSON.stringify(name)} holds a ${type}, not a ${
      type === "string" ? "stream" : "string"
    }`,
  );
}

/**
 * The live key `name`, or undefined when missing or expired. With `purge` (write
 * transactions only), an expired key is deleted on the way, so that writing to it
 * starts afresh as on Redis.
 */
export function liveKey(
  db: SqliteDb,
  name: string,
  now: number,
  purge = false,
): KeyRow | undefined {
  const row = db.get<KeyRow>(
    "SELECT type, value, len, last_ms, last_seq, expires_ms FROM keyspace WHERE name = ?",
    name,
  );
  if (!row || row.expires_ms === null || row.expires_ms > now) return row;
  if (purge) db.run("DELETE FROM keyspace WHERE name = ?", name);
  return undefined;
}

/** The live stream `name`, or undefined; a StoreError when `name` is a string. */
export function liveStream(
  db: SqliteDb,
  name: string,
  now: number,
  purge = false,
): KeyRow | undefined {
  const row = liveKey(db, name, now, purge);
  if (row?.type === "string") throw wrongType(name, "string");
  return row;
}

/** Creates an empty stream `name` unless it exists; returns its row. */
export function ensureStream(db: SqliteDb, name: string, now: number): KeyRow {
  const row = liveStream(db, name, now, true);
  if (row) return row;
  db.run("INSERT INTO keyspace (name, type) VALUES (?, 'stream')", name);
  return { type: "stream", value: null, len: 0, last_ms: 0, last_seq: 0, expires_ms: null };
}

/** Appends one entry and trims the stream; returns the entry's id. */
export function appendEntry(db: SqliteDb, op: AppendOp, maxLen: number, now: number): string {
  const key = ensureStream(db, op.stream, now);
  const keep = op.keepUnread;
  // Unread entries are at most all of them: below the cap, nothing to count.
  if (keep && key.len >= keep.maxUnread) {
    const bound = readBound(db, op.stream, keep.group);
    const unread = key.len - (bound ? countRead(db, op.stream, bound) : 0);
    if (unread >= keep.maxUnread) {
      // Thrown inside the caller's transaction: it rolls back, so nothing of the call is written.
      throw new InboxFullError(
        `The stream ${JSON.stringify(op.stream)} holds ${unread} unread entries, its limit`,
        op.stream,
        unread,
      );
    }
  }
  // Ids grow within a stream even when the clock steps back, as on Redis.
  const ms = Math.max(now, key.last_ms);
  const { lastInsertRowid: seq } = db.run(
    "INSERT INTO entries (stream, ms, fields) VALUES (?, ?, ?)",
    op.stream,
    ms,
    JSON.stringify(stringFields(op.fields)),
  );
  let len = key.len + 1;
  // Trim only once the stream is ~10% over its cap, so most appends delete nothing.
  const slack = Math.ceil(maxLen / 10);
  if (len > maxLen + slack) {
    if (!keep) len -= trimOldest(db, op.stream, len - maxLen);
    // With unread entries kept, the length stays over the cap for as long as they
    // wait, and finding what to trim scans up to maxLen entries: look every `slack`
    // appends only. Read entries then stay within about maxLen + 2 * slack.
    else if (len % slack === 0) len -= trimRead(db, op.stream, keep.group, maxLen);
  }
  const expires = op.ttlSec === undefined ? key.expires_ms : now + Math.round(op.ttlSec * 1000);
  db.run(
    "UPDATE keyspace SET len = ?, last_ms = ?, last_seq = ?, expires_ms = ? WHERE name = ?",
    len,
    ms,
    seq,
    expires,
    op.stream,
  );
  return `${ms}-${seq}`;
}

function stringFields(fields: Fields): Fields {
  const out: Fields = {};
  // Redis stores every value as a string; so do we, whatever slipped past the types.
  for (const [name, value] of Object.entries(fields)) out[name] = String(value);
  return out;
}

/** Deletes the `count` oldest entries of `stream` and their pending rows; returns how many. */
function trimOldest(db: SqliteDb, stream: string, count: number): number {
  const cutoff = db.get<{ ms: number; id: number }>(
    "SELECT ms, id FROM entries WHERE stream = ? ORDER BY ms, id LIMIT 1 OFFSET ?",
    stream,
    count - 1,
  );
  if (!cutoff) return 0;
  const { changes } = db.run(
    "DELETE FROM entries WHERE stream = ? AND (ms, id) <= (?, ?)",
    stream,
    cutoff.ms,
    cutoff.id,
  );
  // Within a stream, rowids grow with positions, so this drops exactly the trimmed ones.
  db.run("DELETE FROM pending WHERE stream = ? AND id <= ?", stream, cutoff.id);
  return changes;
}

/** Where `group`'s acknowledged entries end on `stream`; null when the group does not exist. */
interface ReadBound {
  pos: StreamPos;
  /** True when the entry at `pos` is itself read (no pending entry: read up to the group's position). */
  inclusive: boolean;
}

function readBound(db: SqliteDb, stream: string, group: string): ReadBound | null {
  const last = db.get<{ ms: number; seq: number }>(
    "SELECT last_ms AS ms, last_seq AS seq FROM consumer_groups WHERE stream = ? AND grp = ?",
    stream,
    group,
  );
  if (!last) return null;
  // The oldest entry taken but not acknowledged; within a stream rowids grow with positions.
  const pending = db.get<{ ms: number; seq: number }>(
    `SELECT e.ms AS ms, e.id AS seq FROM pending p JOIN entries e ON e.id = p.id
     WHERE p.stream = ? AND p.grp = ? ORDER BY p.id LIMIT 1`,
    stream,
    group,
  );
  return pending ? { pos: pending, inclusive: false } : { pos: last, inclusive: true };
}

function readCondition(bound: ReadBound): string {
  return bound.inclusive ? "(ms, id) <= (?, ?)" : "(ms, id) < (?, ?)";
}

/** Entries of `stream` the group has acknowledged (before its bound). */
function countRead(db: SqliteDb, stream: string, bound: ReadBound): number {
  return db.get<{ n: number }>(
    `SELECT count(*) AS n FROM entries WHERE stream = ? AND ${readCondition(bound)}`,
    stream,
    bound.pos.ms,
    bound.pos.seq,
  )?.n ?? 0;
}

/**
 * Deletes the acknowledged entries of `stream` beyond the newest `keep` of them;
 * unread ones stay whatever their number. Returns how many went.
 */
function trimRead(db: SqliteDb, stream: string, group: string, keep: number): number {
  const bound = readBound(db, stream, group);
  if (!bound) return 0;
  const cutoff = db.get<{ ms: number; id: number }>(
    `SELECT ms, id FROM entries WHERE stream = ? AND ${readCondition(bound)}
     ORDER BY ms DESC, id DESC LIMIT 1 OFFSET ?`,
    stream,
    bound.pos.ms,
    bound.pos.seq,
    keep,
  );
  if (!cutoff) return 0;
  const { changes } = db.run(
    "DELETE FROM entries WHERE stream = ? AND (ms, id) <= (?, ?)",
    stream,
    cutoff.ms,
    cutoff.id,
  );
  db.run("DELETE FROM pending WHERE stream = ? AND id <= ?", stream, cutoff.id);
  return changes;
}

/**
 * Trims the read entries of `stream` (of `group`) to about `keep`, once they are
 * two slacks over it (so that most acknowledgements delete nothing).
 */
export function trimReadHistory(db: SqliteDb, stream: string, group: string, keep: number): void {
  const key = liveStream(db, stream, Date.now());
  const slack = Math.ceil(keep / 10);
  if (!key || key.len <= keep + 2 * slack) return;
  const removed = trimRead(db, stream, group, keep);
  if (removed > 0) {
    db.run("UPDATE keyspace SET len = len - ? WHERE name = ?", removed, stream);
  }
}

/** Turns an entries row into a StreamEntry. */
export function toEntry(row: EntryRow): StreamEntry {
  return { id: `${row.ms}-${row.id}`, fields: JSON.parse(row.fields) as Fields };
}

/** Up to `count` entries of `stream` after `after`, oldest first. */
export function entriesAfter(
  db: SqliteDb,
  stream: string,
  after: StreamPos,
  count: number,
): StreamEntry[] {
  return db.all<EntryRow>(
    `SELECT id, ms, fields FROM entries WHERE stream = ? AND (ms, id) > (?, ?)
     ORDER BY ms, id LIMIT ?`,
    stream,
    after.ms,
    after.seq,
    count,
  ).map(toEntry);
}

/** Entries of `stream` from `start` to `end` (both inclusive), oldest first. */
export function entriesBetween(
  db: SqliteDb,
  stream: string,
  start: StreamPos,
  end: StreamPos,
  count: number,
): StreamEntry[] {
  return db.all<EntryRow>(
    `SELECT id, ms, fields FROM entries WHERE stream = ? AND (ms, id) >= (?, ?)
     AND (ms, id) <= (?, ?) ORDER BY ms, id LIMIT ?`,
    stream,
    start.ms,
    start.seq,
    end.ms,
    end.seq,
    count,
  ).map(toEntry);
}

/** The newest `count` entries of `stream`, newest first. */
export function entriesNewest(db: SqliteDb, stream: string, count: number): StreamEntry[] {
  return db.all<EntryRow>(
    "SELECT id, ms, fields FROM entries WHERE stream = ? ORDER BY ms DESC, id DESC LIMIT ?",
    stream,
    count,
  ).map(toEntry);
}

/** The UDP ports of live waiters on `streams`, each with the streams it waits on. */
export function waiterPorts(db: SqliteDb, streams: Iterable<string>, now: number) {
  const ports = new Map<number, string[]>();
  for (const stream of streams) {
    const rows = db.all<{ port: number }>(
      "SELECT port FROM waiters WHERE stream = ? AND expires_ms > ?",
      stream,
      now,
    );
    for (const { port } of rows) {
      const list = ports.get(port);
      if (list) list.push(stream);
      else ports.set(port, [stream]);
    }
  }
  return ports;
}

/** True when some key or waiter row has expired and awaits `purgeExpired` (two index lookups). */
export function purgeDue(db: SqliteDb, now: number): boolean {
  return !!(
    db.get(
      "SELECT 1 FROM keyspace WHERE expires_ms IS NOT NULL AND expires_ms <= ? LIMIT 1",
      now,
    ) ??
      db.get("SELECT 1 FROM waiters WHERE expires_ms <= ? LIMIT 1", now)
  );
}

/** Deletes expired keys (their stream data with them) and expired waiter rows. */
export function purgeExpired(db: SqliteDb, now: number): void {
  db.run("DELETE FROM keyspace WHERE expires_ms IS NOT NULL AND expires_ms <= ?", now);
  db.run("DELETE FROM waiters WHERE expires_ms <= ?", now);
}
