/**
 * The SQLite connection of the embedded engine: opening the file safely,
 * cached statements, and transactions that survive other processes holding the
 * write lock. Every SQLite failure leaves here as a StoreError.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import { MeshError, StoreError } from "../errors.ts";
import { applySchema, schemaCurrent } from "./sqlite_schema.ts";

/** How long SQLite itself waits for another process's lock, in ms. */
export const BUSY_TIMEOUT_MS = 5000;
// After SQLite gave up waiting, a few more tries with a pause that lets the event
// loop run (SQLite's own wait blocks it).
const BUSY_RETRIES = 3;
const BUSY_PAUSE_MS = 50;

/** Parameters of a statement. */
export type Params = SQLInputValue[];

function isBusy(err: unknown): boolean {
  // node:sqlite in Deno gives no error code, only SQLite's message.
  return err instanceof Error && /database is (locked|busy)/i.test(err.message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function prepareFile(path: string): void {
  if (path === ":memory:" || path === "") return;
  try {
    Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
  try {
    // createNew: only a file this call creates gets the mode; an existing one keeps its own.
    Deno.openSync(path, { write: true, createNew: true, mode: 0o600 }).close();
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
}

/** What identifies a file on its file system: deleting and recreating it changes it. */
interface FileIdentity {
  dev: number;
  ino: number;
}

function identityOf(path: string): FileIdentity | null {
  if (path === ":memory:" || path === "") return null;
  const { dev, ino } = Deno.statSync(path);
  // Where the OS gives no inode number (Windows), the check is off.
  return ino === null ? null : { dev, ino };
}

/** One open SQLite file. */
export class SqliteDb {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #identity: FileIdentity | null = null;
  /** The writers' queue (see `#queued`): opened on first need; null where it cannot be. */
  #queue: Deno.FsFile | null | undefined;
  #closed = false;

  private constructor(readonly path: string, db: DatabaseSync) {
    this.#db = db;
  }

  /** Opens (creating when missing) the file at `path` and its tables. */
  static async open(path: string): Promise<SqliteDb> {
    let db: DatabaseSync;
    try {
      prepareFile(path);
      db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
    } catch (err) {
      throw new StoreError(`Cannot open the embedded store "${path}": ${message(err)}`, {
        cause: err,
      });
    }
    const store = new SqliteDb(path, db);
    try {
      store.#identity = identityOf(path);
      // WAL: readers never block the writer, and commits need no fsync of the
      // main file. Where WAL is impossible (some network file systems) SQLite
      // keeps its rollback journal, which is slower but still correct.
      await store.#retry(() => db.exec("PRAGMA journal_mode = WAL"));
      db.exec("PRAGMA synchronous = NORMAL");
      // A checkpoint syncs the files: every 4,000 pages (16 MB of WAL) rather than
      // SQLite's 1,000, which cost a send some 20 us on average. The WAL file keeps
      // up to 24 MB between checkpoints: cutting it shorter made every cycle grow
      // the file again, block by block (another 20-30 us per commit).
      db.exec("PRAGMA wal_autocheckpoint = 4000");
      db.exec(`PRAGMA journal_size_limit = ${24 * 1024 * 1024}`);
      // An existing store of this version is checked with a read; only a new (or
      // foreign) file takes the write lock, so that processes creating it at once
      // create the tables exactly once.
      if (!schemaCurrent(db)) await store.#transaction("write", () => applySchema(db, path));
    } catch (err) {
      db.close();
      if (err instanceof StoreError) throw err;
      throw new StoreError(`Cannot open the embedded store "${path}": ${message(err)}`, {
        cause: err,
      });
    }
    return store;
  }

  /** True after `close`. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Rows of a query. */
  all<T>(sql: string, ...params: Params): T[] {
    return this.#statement(sql).all(...params) as T[];
  }

  /** First row of a query, or undefined. */
  get<T>(sql: string, ...params: Params): T | undefined {
    return this.#statement(sql).get(...params) as T | undefined;
  }

  /** Runs a statement; returns the rows changed and the last inserted rowid. */
  run(sql: string, ...params: Params): { changes: number; lastInsertRowid: number } {
    const r = this.#statement(sql).run(...params);
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
  }

  /**
   * Runs `fn` in one transaction: `"write"` takes the write lock up front (BEGIN
   * IMMEDIATE), so a read-modify-write never fails half way on another process's
   * commit; `"read"` reads one consistent snapshot. `fn` must have no effect
   * outside the database: it runs again when the lock was busy.
   */
  async tx<T>(mode: "read" | "write", fn: () => T): Promise<T> {
    try {
      this.checkFile();
      return await this.#transaction(mode, fn);
    } catch (err) {
      throw this.wrap(err);
    }
  }

  async #transaction<T>(mode: "read" | "write", fn: () => T): Promise<T> {
    if (mode === "read") return await this.#retry(() => this.#run("BEGIN", fn));
    try {
      // The write lock is usually free: tried without SQLite's busy wait first.
      return this.#run("BEGIN IMMEDIATE", fn, true);
    } catch (err) {
      if (!isBusy(err)) throw err;
    }
    return await this.#queued(() => this.#retry(() => this.#run("BEGIN IMMEDIATE", fn)));
  }

  /** Runs `fn` in a transaction opened by `begin`; `noWait`: fail at once when the lock is taken. */
  #run<T>(begin: string, fn: () => T, noWait = false): T {
    this.#assertOpen();
    if (noWait) {
      this.#db.exec("PRAGMA busy_timeout = 0");
      try {
        this.#db.exec(begin);
      } finally {
        this.#db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      }
    } else this.#db.exec(begin);
    try {
      const result = fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw err;
    }
  }

  /**
   * Runs `fn` as the head of the writers' queue: an exclusive lock on a file beside
   * the database, which the OS hands to one waiting process after another as each
   * lets go, so that many processes woken at once take the write lock in turn
   * instead of sleeping in SQLite's busy wait (1, 2, 5 … 100 ms between tries, a
   * tail of seconds with a few hundred writers). Only the head waits inside SQLite,
   * for a writer that did not queue.
   */
  async #queued<T>(fn: () => Promise<T>): Promise<T> {
    const queue = this.#writersQueue();
    if (queue) await queue.lock(true);
    try {
      return await fn();
    } finally {
      if (queue) await queue.unlock().catch(() => {});
    }
  }

  /** The lock file of the writers' queue, or null where it cannot be opened (then SQLite waits alone). */
  #writersQueue(): Deno.FsFile | null {
    if (this.#queue !== undefined) return this.#queue;
    if (this.path === ":memory:" || this.path === "") return this.#queue = null;
    try {
      this.#queue = Deno.openSync(`${this.path}-writers`, {
        read: true,
        write: true,
        create: true,
        mode: 0o600,
      });
    } catch {
      this.#queue = null;
    }
    return this.#queue;
  }

  /**
   * Throws a StoreError when the file at `path` is no longer the one opened (deleted,
   * or replaced by another): this process would otherwise write where no one reads,
   * and wait where no one writes. One stat call.
   */
  checkFile(): void {
    const opened = this.#identity;
    if (!opened || this.#closed) return;
    let now: FileIdentity | null;
    try {
      now = identityOf(this.path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) return; // unreadable now: SQLite will say
      throw new StoreError(
        `The embedded store "${this.path}" was deleted while in use: start this command again`,
      );
    }
    if (now && (now.dev !== opened.dev || now.ino !== opened.ino)) {
      throw new StoreError(
        `The embedded store "${this.path}" was replaced by another file while in use: start this command again`,
      );
    }
  }

  /** Changes whenever another connection commits (`PRAGMA data_version`). */
  dataVersion(): number {
    this.#assertOpen();
    // Checked here too: the waker's safety check then wakes blocked reads, which fail.
    this.checkFile();
    return Number(this.get<{ data_version: number }>("PRAGMA data_version")?.data_version);
  }

  /** Closes the file; later calls fail with a StoreError. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements.clear();
    this.#db.close();
    this.#queue?.close();
  }

  /** The StoreError to raise for `err`. */
  wrap(err: unknown): MeshError {
    // A refusal raised inside a transaction (a full inbox) is reported as is.
    if (err instanceof MeshError) return err;
    if (isBusy(err)) {
      return new StoreError(
        `The embedded store "${this.path}" stayed locked by another process`,
        { cause: err },
      );
    }
    return new StoreError(`The embedded store "${this.path}" failed: ${message(err)}`, {
      cause: err,
    });
  }

  /** Runs `fn`, again after a pause while the file is locked; throws what `fn` threw. */
  async #retry<T>(fn: () => T): Promise<T> {
    for (let attempt = 0;; attempt++) {
      this.#assertOpen();
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err) || attempt >= BUSY_RETRIES) throw err;
      }
      await sleep(BUSY_PAUSE_MS * 2 ** attempt * (0.5 + Math.random()));
    }
  }

  #statement(sql: string): StatementSync {
    this.#assertOpen();
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError(`The embedded store "${this.path}" is closed`);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
