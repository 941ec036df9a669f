/**
 * The embedded engine's tables. One `keyspace` table holds every key, strings and
 * streams alike, so that, as on Redis, a name is one key of one type: `scan`,
 * `del` and `expire` need no per-type cases and a name cannot be both.
 */
import type { DatabaseSync } from "node:sqlite";
import { StoreError } from "../errors.ts";

/** Version of the tables below, kept in `PRAGMA user_version`. */
export const SCHEMA_VERSION = 1;

/** Marks the file as an agent-mesh store (`PRAGMA application_id`, "amsh"). */
export const APPLICATION_ID = 0x616d7368;

const SCHEMA_SQL = `
CREATE TABLE keyspace (
  name TEXT PRIMARY KEY,
  type TEXT NOT NULL CHECK (type IN ('string', 'stream')),
  value TEXT,                          -- strings
  len INTEGER NOT NULL DEFAULT 0,      -- streams: entries held
  last_ms INTEGER NOT NULL DEFAULT 0,  -- streams: id of the newest entry ever appended,
  last_seq INTEGER NOT NULL DEFAULT 0, --   so ids keep growing after trims ("$" of groups)
  expires_ms INTEGER                   -- NULL: never
);
CREATE INDEX keyspace_expiry ON keyspace (expires_ms) WHERE expires_ms IS NOT NULL;

-- AUTOINCREMENT: an id is never reused, even after the newest entry is deleted.
CREATE TABLE entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stream TEXT NOT NULL,
  ms INTEGER NOT NULL,
  fields TEXT NOT NULL                 -- JSON object of strings
);
CREATE INDEX entries_pos ON entries (stream, ms, id);

CREATE TABLE consumer_groups (
  stream TEXT NOT NULL,
  grp TEXT NOT NULL,
  last_ms INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  PRIMARY KEY (stream, grp)
) WITHOUT ROWID;

-- Entries taken by a consumer and not acknowledged yet.
CREATE TABLE pending (
  stream TEXT NOT NULL,
  grp TEXT NOT NULL,
  id INTEGER NOT NULL,
  delivered_ms INTEGER NOT NULL,
  deliveries INTEGER NOT NULL,
  PRIMARY KEY (stream, grp, id)
) WITHOUT ROWID;

-- Processes with a blocked reader on a stream, reached by a UDP datagram on port.
CREATE TABLE waiters (
  stream TEXT NOT NULL,
  port INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  PRIMARY KEY (stream, port)
) WITHOUT ROWID;

-- Whatever deletes a stream key (del, expiry, set over it) takes its data along.
CREATE TRIGGER keyspace_drop_stream AFTER DELETE ON keyspace WHEN old.type = 'stream'
BEGIN
  DELETE FROM entries WHERE stream = old.name;
  DELETE FROM consumer_groups WHERE stream = old.name;
  DELETE FROM pending WHERE stream = old.name;
END;
`;

function pragmaNumber(db: DatabaseSync, name: string): number {
  const row = db.prepare(`PRAGMA ${name}`).get() as Record<string, number> | undefined;
  return Number(row?.[name] ?? 0);
}

/** True when the file holds this version's tables (read without a lock: two pragmas). */
export function schemaCurrent(db: DatabaseSync): boolean {
  return pragmaNumber(db, "application_id") === APPLICATION_ID &&
    pragmaNumber(db, "user_version") === SCHEMA_VERSION;
}

/**
 * Creates the tables in a new file, checks an existing one. Runs inside the
 * caller's write transaction, so that processes opening a new file at once
 * create the tables exactly once.
 */
export function applySchema(db: DatabaseSync, path: string): void {
  const version = pragmaNumber(db, "user_version");
  const appId = pragmaNumber(db, "application_id");
  if (version === 0) {
    const objects = db.prepare("SELECT count(*) AS n FROM sqlite_schema").get() as { n: number };
    if (objects.n > 0) {
      throw new StoreError(`The file "${path}" is an SQLite database of another program`);
    }
    db.exec(SCHEMA_SQL);
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    return;
  }
  if (appId !== APPLICATION_ID) {
    throw new StoreError(`The file "${path}" is an SQLite database of another program`);
  }
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      `The embedded store "${path}" was written by a newer agent-mesh (schema ${version})`,
    );
  }
}
