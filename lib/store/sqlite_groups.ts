/**
 * Consumer groups of the embedded engine: one entry, one taker. Each function
 * runs inside a write transaction its caller opened (BEGIN IMMEDIATE), which is
 * what makes a take exclusive across processes: two takers are serialized by
 * SQLite's write lock, and the second sees the first one's pending rows.
 */
import { StoreError } from "../errors.ts";
import type { StreamBatch } from "./port.ts";
import type { SqliteDb } from "./sqlite_db.ts";
import { ensureStream, liveStream, toEntry } from "./sqlite_streams.ts";
import type { StreamPos } from "./stream_id.ts";

/** What one consume attempt found. */
export interface TakeResult {
  batches: StreamBatch[];
  /** Epoch ms when the earliest unexpired lease runs out, if any: worth looking again then. */
  wakeAt?: number;
}

/** Creates group `group` on `stream` (and the stream) unless it exists. `start` null means "$". */
export function ensureGroup(
  db: SqliteDb,
  stream: string,
  group: string,
  start: StreamPos | null,
  now: number,
): void {
  const key = ensureStream(db, stream, now);
  const pos = start ?? { ms: key.last_ms, seq: key.last_seq };
  db.run(
    `INSERT INTO consumer_groups (stream, grp, last_ms, last_seq) VALUES (?, ?, ?, ?)
     ON CONFLICT (stream, grp) DO NOTHING`,
    stream,
    group,
    pos.ms,
    pos.seq,
  );
}

interface PendingRow {
  id: number;
  ms: number | null;
  fields: string | null;
}

/**
 * Takes entries for `group`: first those whose lease ran out (`leaseMs` after
 * they were last given out), then never-taken ones, at most `count` per stream.
 */
export function take(
  db: SqliteDb,
  group: string,
  streams: string[],
  count: number,
  leaseMs: number,
  now: number,
): TakeResult {
  const result: TakeResult = { batches: [] };
  for (const stream of streams) {
    const last = groupPosition(db, stream, group, now);
    const entries = [];
    const expired = db.all<PendingRow>(
      `SELECT p.id, e.ms, e.fields FROM pending p LEFT JOIN entries e ON e.id = p.id
       WHERE p.stream = ? AND p.grp = ? AND p.delivered_ms <= ? ORDER BY p.id LIMIT ?`,
      stream,
      group,
      now - leaseMs,
      count,
    );
    for (const row of expired) {
      if (row.ms === null || row.fields === null) {
        // Its entry is gone (trimmed): nothing left to hand out.
        db.run(
          "DELETE FROM pending WHERE stream = ? AND grp = ? AND id = ?",
          stream,
          group,
          row.id,
        );
        continue;
      }
      db.run(
        `UPDATE pending SET delivered_ms = ?, deliveries = deliveries + 1
         WHERE stream = ? AND grp = ? AND id = ?`,
        now,
        stream,
        group,
        row.id,
      );
      entries.push(toEntry({ id: row.id, ms: row.ms, fields: row.fields }));
    }
    const fresh = db.all<{ id: number; ms: number; fields: string }>(
      `SELECT id, ms, fields FROM entries WHERE stream = ? AND (ms, id) > (?, ?)
       ORDER BY ms, id LIMIT ?`,
      stream,
      last.ms,
      last.seq,
      count - entries.length,
    );
    for (const row of fresh) {
      db.run(
        "INSERT INTO pending (stream, grp, id, delivered_ms, deliveries) VALUES (?, ?, ?, ?, 1)",
        stream,
        group,
        row.id,
        now,
      );
      entries.push(toEntry(row));
    }
    const newest = fresh.at(-1);
    if (newest) {
      db.run(
        "UPDATE consumer_groups SET last_ms = ?, last_seq = ? WHERE stream = ? AND grp = ?",
        newest.ms,
        newest.id,
        stream,
        group,
      );
    }
    if (entries.length > 0) result.batches.push({ stream, entries });
    const oldest = db.get<{ t: number | null }>(
      "SELECT min(delivered_ms) AS t FROM pending WHERE stream = ? AND grp = ?",
      stream,
      group,
    )?.t;
    if (oldest !== null && oldest !== undefined) {
      result.wakeAt = Math.min(result.wakeAt ?? Infinity, oldest + leaseMs);
    }
  }
  return result;
}

/**
 * Read-only look before a take: true when `take` may find something (a fresh
 * entry, an expired lease, or a missing group or stream, whose error `take`
 * reports). Runs in a read transaction, so that an idle consumer never takes the
 * write lock: with many consumers, waiting for it is what costs (SQLite's busy
 * handler sleeps whole milliseconds). Else `wakeAt` is when a lease runs out.
 */
export function mayTake(
  db: SqliteDb,
  group: string,
  streams: string[],
  leaseMs: number,
  now: number,
): { take: boolean; wakeAt?: number } {
  let wakeAt: number | undefined;
  for (const stream of streams) {
    // One statement per stream: this runs on every wake of every idle consumer.
    const row = db.get<{ live: number; fresh: number; oldest: number | null }>(
      `SELECT
         EXISTS (SELECT 1 FROM keyspace WHERE name = ?1 AND type = 'stream'
                 AND (expires_ms IS NULL OR expires_ms > ?3)) AS live,
         EXISTS (SELECT 1 FROM entries e WHERE e.stream = ?1
                 AND (e.ms, e.id) > (g.last_ms, g.last_seq)) AS fresh,
         (SELECT min(delivered_ms) FROM pending WHERE stream = ?1 AND grp = ?2) AS oldest
       FROM consumer_groups g WHERE g.stream = ?1 AND g.grp = ?2`,
      stream,
      group,
      now,
    );
    // No group, no live stream (take reports it), a fresh entry, or an expired lease.
    if (!row || !row.live || row.fresh) return { take: true };
    if (row.oldest !== null) {
      if (row.oldest <= now - leaseMs) return { take: true };
      wakeAt = Math.min(wakeAt ?? Infinity, row.oldest + leaseMs);
    }
  }
  return { take: false, wakeAt };
}

/** Where `group` on `stream` stands; a StoreError when the stream or group is missing. */
function groupPosition(db: SqliteDb, stream: string, group: string, now: number): StreamPos {
  const row = liveStream(db, stream, now, true) &&
    db.get<{ ms: number; seq: number }>(
      "SELECT last_ms AS ms, last_seq AS seq FROM consumer_groups WHERE stream = ? AND grp = ?",
      stream,
      group,
    );
  if (!row) {
    throw new StoreError(
      `The consumer group ${JSON.stringify(group)} does not exist on stream ${
        JSON.stringify(stream)
      }`,
    );
  }
  return row;
}

/** Forgets pending entries `seqs` (the rowid part of their ids) of `group` on `stream`. */
export function ack(db: SqliteDb, stream: string, group: string, seqs: number[]): void {
  for (const seq of seqs) {
    db.run("DELETE FROM pending WHERE stream = ? AND grp = ? AND id = ?", stream, group, seq);
  }
}
