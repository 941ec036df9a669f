/**
 * String keys and key listing of the embedded engine. Each function runs inside
 * a transaction its caller opened (see `SqliteDb.tx`).
 */
import { StoreError } from "../errors.ts";
import type { SqliteDb } from "./sqlite_db.ts";
import { liveKey, wrongType } from "./sqlite_streams.ts";

/** Sets string `key`, replacing a key of any type (as Redis SET); no ttl: no expiry. */
export function setString(
  db: SqliteDb,
  key: string,
  value: string,
  ttlSec: number | undefined,
  now: number,
): void {
  const expires = ttlSec === undefined ? null : now + Math.round(ttlSec * 1000);
  // Deleting (not updating) a stream row lets the trigger drop its entries and groups.
  db.run("DELETE FROM keyspace WHERE name = ? AND type = 'stream'", key);
  db.run(
    `INSERT INTO keyspace (name, type, value, expires_ms) VALUES (?, 'string', ?, ?)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value, expires_ms = excluded.expires_ms`,
    key,
    String(value),
    expires,
  );
}

/** The value of live string `key`, or null; a StoreError when `key` is a stream. */
export function getString(db: SqliteDb, key: string, now: number): string | null {
  const row = liveKey(db, key, now);
  if (row?.type === "stream") throw wrongType(key, "stream");
  return row?.value ?? null;
}

/** Values of live string keys, null for missing ones and streams (as Redis MGET). */
export function getStrings(db: SqliteDb, keys: string[], now: number): (string | null)[] {
  return keys.map((key) => {
    const row = liveKey(db, key, now);
    return row?.type === "string" ? row.value : null;
  });
}

/** Increments counter `key`; gives it an expiry of `windowSec` when new or without one. */
export function incrementWindow(
  db: SqliteDb,
  key: string,
  windowSec: number,
  now: number,
): number {
  const row = liveKey(db, key, now, true);
  if (row?.type === "stream") throw wrongType(key, "stream");
  const current = row?.value ?? "0";
  if (!/^-?\d+$/.test(current) || !Number.isSafeInteger(Number(current))) {
    throw new StoreError(`The key ${JSON.stringify(key)} does not hold a whole number`);
  }
  const count = Number(current) + 1;
  const expires = count === 1 || row?.expires_ms == null
    ? now + Math.round(windowSec * 1000)
    : row.expires_ms;
  db.run(
    `INSERT INTO keyspace (name, type, value, expires_ms) VALUES (?, 'string', ?, ?)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value, expires_ms = excluded.expires_ms`,
    key,
    String(count),
    expires,
  );
  return count;
}

/** Names of live keys starting with `prefix`, optionally of one type, in order. */
export function scanKeys(
  db: SqliteDb,
  prefix: string,
  type: "string" | "stream" | undefined,
  now: number,
): string[] {
  // A range on the primary key, not LIKE: "%" and "_" in a prefix stay literal,
  // and the index is used.
  const upper = prefixEnd(prefix);
  const where = ["name >= ?", "(expires_ms IS NULL OR expires_ms > ?)"];
  const params: (string | number)[] = [prefix, now];
  if (upper !== null) {
    where.push("name < ?");
    params.push(upper);
  }
  if (type) {
    where.push("type = ?");
    params.push(type);
  }
  const sql = `SELECT name FROM keyspace WHERE ${where.join(" AND ")} ORDER BY name`;
  return db.all<{ name: string }>(sql, ...params).map((row) => row.name);
}

/**
 * The first string after every string that starts with `prefix`, or null when
 * there is none: the prefix with its last code point incremented. SQLite
 * compares text as UTF-8 bytes, which orders like code points.
 */
export function prefixEnd(prefix: string): string | null {
  const points = Array.from(prefix, (c) => c.codePointAt(0) ?? 0);
  while (points.length > 0) {
    let last = points.pop()! + 1;
    if (last === 0xd800) last = 0xe000; // skip surrogates: not valid in UTF-8
    if (last <= 0x10ffff) return String.fromCodePoint(...points, last);
  }
  return null;
}
