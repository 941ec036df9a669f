/**
 * The floor of an embedded send: what this machine's disk and SQLite charge for
 * a transaction that writes as many pages as one send does. A send is one write
 * transaction (the gate's counter, the audit entry, the inbox entry, the group
 * echo and the message's state); its commit appends every page it changed to the
 * WAL, and every 4,000 pages a checkpoint copies them into the database and
 * syncs it. The floor does the same with nothing of agent-mesh: bare `node:sqlite`
 * with the engine's settings, one row inserted into each of as many tables as a
 * send changes pages, one transaction at a time.
 */
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import type { Mesh } from "../lib/mesh/mesh.ts";
import { type BenchContext, pick, type Result, summarize } from "./stats.ts";

/** The embedded engine's settings (lib/store/sqlite_db.ts), applied to `db`. */
function engineSettings(db: DatabaseSync): void {
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA wal_autocheckpoint = 4000");
  db.exec(`PRAGMA journal_size_limit = ${24 * 1024 * 1024}`);
}

/** Pages in `path`'s WAL since `reset` (a checkpoint that empties it). */
function walPages(spy: DatabaseSync): number {
  const row = spy.prepare("PRAGMA wal_checkpoint(PASSIVE)").get() as { log: number };
  return Number(row.log);
}

function resetWal(spy: DatabaseSync): void {
  spy.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

/** Pages one send writes to the WAL: the mean over `n` sends of `mesh` on the file at `path`. */
export async function pagesPerSend(mesh: Mesh, path: string, n = 200): Promise<number> {
  const spy = new DatabaseSync(path);
  try {
    resetWal(spy);
    for (let i = 0; i < n; i++) {
      await mesh.send({
        from: "sender",
        to: "pages-probe",
        text: "bench message: " + "x".repeat(80),
      });
    }
    return walPages(spy) / n;
  } finally {
    spy.close();
  }
}

/**
 * Transactions per second of bare SQLite writing `pages` pages per transaction,
 * `runs` runs of `count` after a warm-up run, as the send figure counts sends.
 */
export function sqliteSendFloor(ctx: BenchContext, pages: number): Result {
  const count = pick(ctx, 500, 5_000);
  const runs = pick(ctx, 2, 5);
  const tables = Math.max(1, Math.round(pages));
  const path = join(ctx.dir, `floor-${crypto.randomUUID().slice(0, 8)}.db`);
  const db = new DatabaseSync(path);
  const rates: number[] = [];
  let written = 0;
  try {
    engineSettings(db);
    for (let t = 0; t < tables; t++) {
      db.exec(`CREATE TABLE t${t} (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`);
    }
    const inserts = Array.from(
      { length: tables },
      (_, t) => db.prepare(`INSERT INTO t${t} (v) VALUES (?)`),
    );
    const row = "x".repeat(120);
    for (let r = 0; r <= runs; r++) {
      const t0 = performance.now();
      for (let i = 0; i < count; i++) {
        db.exec("BEGIN IMMEDIATE");
        for (const insert of inserts) insert.run(row);
        db.exec("COMMIT");
      }
      const rate = count / ((performance.now() - t0) / 1000);
      if (r > 0) rates.push(rate); // run 0 warms up
    }
    // What one of these transactions writes, measured as a send's pages are.
    resetWal(db);
    for (let i = 0; i < 100; i++) {
      db.exec("BEGIN IMMEDIATE");
      for (const insert of inserts) insert.run(row);
      db.exec("COMMIT");
    }
    written = walPages(db) / 100;
  } finally {
    db.close();
  }
  const s = summarize(rates);
  return {
    figure: "floor: bare SQLite, one transaction writing a send's pages",
    engine: "embedded",
    unit: "msg/s",
    median: s.median,
    p99: Math.min(...rates),
    runs: s.runs,
    floor: null,
    goal: "the floor",
    met: null,
    note: `${tables} one-row inserts per transaction, ${written.toFixed(1)} WAL pages each ` +
      `(a send: ${pages.toFixed(1)}); p99 column: the slowest run`,
  };
}
