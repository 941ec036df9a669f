/**
 * Tests of the embedded engine alone (the port's behaviour is the conformance
 * suite's): its file, trimming, expiry housekeeping, and blocked reads woken
 * across processes. Real files in temp dirs; blocked readers in subprocesses.
 */
import { append } from "./harness/store_ops.ts";
import { eventually, HANG_MS, LONG_BLOCK_MS, withDeadline } from "./harness/timing.ts";
import { spawnWorker, type StoreWorker } from "./harness/store_worker_client.ts";
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { dirname, join } from "node:path";
import { StoreError } from "../lib/errors.ts";
import type { Store, StreamBatch } from "../lib/store/port.ts";
import { openSqliteStore } from "../lib/store/sqlite.ts";

// Timers, sockets and subprocesses must all be gone when a test ends.
const SANITIZE = { sanitizeOps: true, sanitizeResources: true };

/** Runs `fn` with the path of a SQLite file in a fresh temp dir, removed afterwards. */
async function withDb(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "agent-mesh-sqlite-" });
  try {
    await fn(join(dir, "data", "mesh.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `fn` on a store opened on `path`, closed afterwards. */
async function withStore(path: string, fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await openSqliteStore(path);
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

/** One value of a query on a separate raw connection to the file. */
function raw(path: string, sql: string, ...params: (string | number)[]): unknown {
  const db = new DatabaseSync(path);
  try {
    const row = db.prepare(sql).get(...params) as Record<string, unknown> | undefined;
    return row ? Object.values(row)[0] : undefined;
  } finally {
    db.close();
  }
}

/** Waits until `sql` counts at least `n` rows, on a raw connection to the file. */
async function untilRows(path: string, n: number, sql: string, ...params: string[]) {
  const count = () => Promise.resolve(Number(raw(path, sql, ...params)));
  await eventually(count, (c) => c >= n, `${n} rows of ${sql}`);
}

/** Waits until some process registered as a blocked reader of `stream`. */
function untilWaiter(path: string, stream: string): Promise<void> {
  return untilRows(path, 1, "SELECT count(*) FROM waiters WHERE stream = ?", stream);
}

/** Starts tests/fixtures/store_worker.ts on the SQLite file at `path`. */
function sqliteWorker(path: string, args: string[]): StoreWorker {
  const env = { AGENT_MESH_DB: path, AGENT_MESH_REDIS_URL: "", AGENT_MESH_HOME: dirname(path) };
  return spawnWorker(env, args);
}

/** Starts a worker on the file at `path` and lets it run its command. */
async function startWorker(path: string, args: string[]): Promise<StoreWorker> {
  const worker = sqliteWorker(path, args);
  try {
    await worker.ready();
    await worker.go();
  } catch (err) {
    await worker[Symbol.asyncDispose]();
    throw err;
  }
  return worker;
}

function ids(batches: StreamBatch[]): string[] {
  return batches.flatMap((b) => b.entries.map((e) => e.id));
}

Deno.test({
  name: "embedded: the file",
  ...SANITIZE,
  fn: () =>
    withDb(async (path) => {
      await withStore(path, async (store) => {
        assert.equal(store.engine, "embedded");
        assert.equal(store.location, path);
        await store.set("k", "v");
      });
      if (Deno.build.os !== "windows") {
        assert.equal(Deno.statSync(join(path, "..")).mode! & 0o777, 0o700, "folder mode");
        assert.equal(Deno.statSync(path).mode! & 0o777, 0o600, "file mode");
      }
      assert.equal(raw(path, "PRAGMA journal_mode"), "wal");

      const foreign = join(path, "..", "other.db");
      const db = new DatabaseSync(foreign);
      db.exec("CREATE TABLE t (x)");
      db.close();
      await assert.rejects(openSqliteStore(foreign), StoreError);

      await withStore(path, async (store) => {
        await assert.rejects(store.read({ s: "abc" }), StoreError);
        await assert.rejects(store.range("s", "1-x"), StoreError);
        await assert.rejects(store.ack("s", "g", ["1-2-3"]), StoreError);
        await append(store, "stream", { x: "1" });
        await assert.rejects(store.get("stream"), StoreError, "a stream read as a string");
        await assert.rejects(append(store, "k", { x: "1" }), StoreError, "a string appended to");
      });
    }),
});

Deno.test({
  name: "embedded: ids, cursors and prefixes",
  ...SANITIZE,
  fn: () =>
    withDb((path) =>
      withStore(path, async (store) => {
        const a = await append(store, "s", { n: "a" });
        const realNow = Date.now;
        Date.now = () => realNow() - 60_000; // the clock steps back a minute
        let b: string;
        try {
          b = await append(store, "s", { n: "b" });
        } finally {
          Date.now = realNow;
        }
        const [msA, seqA] = a.split("-").map(Number);
        const [msB, seqB] = b.split("-").map(Number);
        assert.ok(msB === msA && seqB > seqA, `${b} does not follow ${a}`);
        // c must fall in a later millisecond than a and b (an append can take less than one).
        await eventually(() => Promise.resolve(Date.now()), (now) => now > msA, "the next ms");
        const c = await append(store, "s", { n: "c" });
        const idsOf = (entries: { id: string }[]) => entries.map((e) => e.id);
        assert.deepEqual(idsOf(await store.range("s", `(${a}`, `(${c}`)), [b]);
        assert.deepEqual(idsOf(await store.range("s", String(msA), String(msA))), [a, b]);
        assert.deepEqual(ids(await store.read({ s: `${msA}-0` })), [a, b, c]);
        assert.deepEqual(await store.read({ s: "$" }), []);

        const keys = ["p", "p\uffff", "p\u{1F4E8}", "p\u{10FFFF}", "q", "o\u{10FFFF}"];
        for (const key of keys) await store.set(key, "1");
        assert.deepEqual(await store.scan("p"), ["p", "p\uffff", "p\u{1F4E8}", "p\u{10FFFF}"]);
        assert.deepEqual(await store.scan("o\u{10FFFF}"), ["o\u{10FFFF}"]);
      })
    ),
});

Deno.test({
  name: "embedded: approximate cap trimming drops the oldest and stays within ~10%",
  ...SANITIZE,
  fn: () =>
    withDb((path) =>
      withStore(path, async (store) => {
        await store.ensureGroup("s", "g", "0");
        const appended: string[] = [];
        for (let i = 0; i < 10; i++) appended.push(await append(store, "s", { i: `${i}` }, 50));
        assert.equal(ids(await store.consume("g", ["s"], { count: 10 })).length, 10);
        for (let i = 10; i < 300; i++) {
          appended.push(await append(store, "s", { i: `${i}` }, 50));
          const length = await store.length("s");
          assert.ok(length <= 55, `length ${length} after append ${i} is over 55`);
        }
        const length = await store.length("s");
        assert.ok(length >= 50, `length ${length} is under the cap`);
        assert.deepEqual((await store.range("s")).map((e) => e.id), appended.slice(-length));
        assert.equal(raw(path, "SELECT count(*) FROM entries"), length);
        assert.equal(
          raw(path, "SELECT count(*) FROM pending"),
          0,
          "pending rows of trimmed entries",
        );
      })
    ),
});

Deno.test({
  name:
    "embedded: expired keys read as absent at once; opening writes nothing, a write purges them",
  ...SANITIZE,
  fn: () =>
    withDb(async (path) => {
      await withStore(path, async (store) => {
        await store.set("k", "v", 0.2);
        await store.appendMany([{ stream: "s", fields: { x: "1" }, ttlSec: 0.2 }]);
        await store.ensureGroup("s", "g", "0");
        await store.consume("g", ["s"]);
        await store.set("kept", "v");
        await eventually(() => store.get("k"), (v) => v === null, "k to expire");
        await eventually(() => store.length("s"), (n) => n === 0, "s to expire");
        assert.deepEqual(await store.scan(""), ["kept"]);
        assert.deepEqual(await store.read({ s: "0" }), []);
      });
      // Reads leave expired rows, and so does opening the file again.
      assert.equal(raw(path, "SELECT count(*) FROM keyspace"), 3);
      await withStore(path, async (store) => {
        assert.equal(await store.get("kept"), "v");
        assert.equal(raw(path, "SELECT count(*) FROM keyspace"), 3, "opening wrote");
        // The first write of a process purges what is due.
        await store.set("x", "1");
        assert.equal(raw(path, "SELECT count(*) FROM keyspace"), 2);
        for (const table of ["entries", "consumer_groups", "pending"]) {
          assert.equal(raw(path, `SELECT count(*) FROM ${table}`), 0, `rows left in ${table}`);
        }
        // Later writes now and then.
        await store.set("k", "v", 0.1);
        await eventually(() => store.get("k"), (v) => v === null, "k to expire");
        for (let i = 0; i < 600; i++) await store.set("kept", `${i}`);
        assert.equal(raw(path, "SELECT count(*) FROM keyspace WHERE name = 'k'"), 0);
      });
    }),
});

Deno.test({
  name: "embedded: a read blocked in another process is woken by an append here",
  ...SANITIZE,
  fn: () =>
    withDb((path) =>
      withStore(path, async (store) => {
        await using waiter = await startWorker(path, [
          "block-read",
          "s",
          "0",
          String(LONG_BLOCK_MS),
        ]);
        await untilWaiter(path, "s");
        const id = await append(store, "s", { x: "1" });
        const batches = await withDeadline(waiter.result(), HANG_MS, "the blocked read");
        assert.deepEqual(batches, [{ stream: "s", entries: [{ id, fields: { x: "1" } }] }]);
        assert.equal(raw(path, "SELECT count(*) FROM waiters"), 0, "close() left its rows");
      })
    ),
});

Deno.test({
  name: "embedded: the waiter rows of a killed reader do not break appends",
  ...SANITIZE,
  fn: () =>
    withDb((path) =>
      withStore(path, async (store) => {
        const waiter = await startWorker(path, ["block-read", "s", "0", String(LONG_BLOCK_MS)]);
        await untilWaiter(path, "s");
        await waiter[Symbol.asyncDispose](); // SIGKILL
        assert.equal(raw(path, "SELECT count(*) FROM waiters"), 1, "the dead reader's row");
        const first = await append(store, "s", { x: "1" });
        const other = await openSqliteStore(path);
        try {
          const reading = other.read({ s: first }, { blockMs: LONG_BLOCK_MS });
          await untilRows(path, 2, "SELECT count(*) FROM waiters");
          const id = await append(store, "s", { x: "2" });
          assert.deepEqual(ids(await reading), [id]);
        } finally {
          await other.close();
        }
      })
    ),
});

Deno.test({
  name: "embedded: a consume blocked in another process gets an entry whose lease ran out",
  ...SANITIZE,
  fn: () =>
    withDb((path) =>
      withStore(path, async (store) => {
        await store.ensureGroup("q", "g", "0");
        const id = await append(store, "q", { job: "1" });
        // The worker is up before the take, so that its consume (judging leases of
        // 2 s) starts blocked: no ack and no further append, only the lease running
        // out can wake it.
        await using waiter = sqliteWorker(path, ["take", "g", "q", String(LONG_BLOCK_MS), "2000"]);
        await waiter.ready();
        assert.deepEqual(ids(await store.consume("g", ["q"])), [id]);
        await waiter.go();
        await untilWaiter(path, "q");
        const batches = await withDeadline(waiter.result<StreamBatch[]>(), HANG_MS, "the take");
        assert.deepEqual(ids(batches), [id]);
        assert.equal(raw(path, "SELECT deliveries FROM pending"), 2);
      })
    ),
});

Deno.test({
  name: "embedded: close() and abort end blocked reads with []",
  ...SANITIZE,
  fn: () =>
    withDb(async (path) => {
      const store = await openSqliteStore(path);
      await store.ensureGroup("q", "g", "$");
      const ac = new AbortController();
      const aborted = store.read({ a: "0" }, { blockMs: LONG_BLOCK_MS, signal: ac.signal });
      const reading = store.read({ s: "0" }, { blockMs: LONG_BLOCK_MS });
      const consuming = store.consume("g", ["q"], { blockMs: LONG_BLOCK_MS });
      await untilRows(path, 3, "SELECT count(*) FROM waiters");
      ac.abort();
      assert.deepEqual(await withDeadline(aborted, HANG_MS, "the aborted read"), []);
      await store.close();
      const ended = withDeadline(Promise.all([reading, consuming]), HANG_MS, "close()");
      assert.deepEqual(await ended, [[], []]);
      assert.equal(raw(path, "SELECT count(*) FROM waiters"), 0, "close() left its rows");
      await assert.rejects(store.get("k"), StoreError);
    }),
});
