/** Consumer groups: ensureGroup, consume order and count, leases, ack, blocking consume. */
import { append } from "../harness/store_ops.ts";
import assert from "node:assert/strict";
import { appendN, type ConformanceCase, idsOf, plainBatches } from "./_case.ts";
import type { StreamBatch } from "../../lib/store/port.ts";
import { sleep, stopwatch } from "../harness/timing.ts";
import { spawnWorker } from "../harness/store_worker_client.ts";

/** The ids of every entry in `batches`, stream by stream. */
function taken(batches: StreamBatch[]): string[] {
  return plainBatches(batches).flatMap((b) => idsOf(b.entries));
}

export const groupCases: ConformanceCase[] = [
  {
    name: "ensureGroup() is idempotent and an existing group keeps its position",
    async fn(h) {
      const s = h.key("s");
      const ids = await appendN(h, s, 3);
      await h.store.ensureGroup(s, "g", "0");
      const first = taken(await h.store.consume("g", [s], { count: 2 }));
      assert.deepEqual(first, ids.slice(0, 2));
      await h.store.ack(s, "g", first);
      await h.store.ensureGroup(s, "g", "0");
      await h.store.ensureGroup(s, "g", "$");
      assert.deepEqual(taken(await h.store.consume("g", [s], { count: 10 })), [ids[2]]);
    },
  },
  {
    name: 'ensureGroup() "0" starts at the first entry, "$" at the next append',
    async fn(h, t) {
      const s = h.key("s");
      const old = await appendN(h, s, 2);
      await h.store.ensureGroup(s, "all", "0");
      await h.store.ensureGroup(s, "new", "$");
      await t.step('"0" gets the entries already there', async () => {
        assert.deepEqual(taken(await h.store.consume("all", [s])), old);
      });
      await t.step('"$" gets only entries appended afterwards', async () => {
        assert.deepEqual(await h.store.consume("new", [s]), []);
        const id = await append(h.store, s, { x: "new" });
        assert.deepEqual(plainBatches(await h.store.consume("new", [s])), [
          { stream: s, entries: [{ id, fields: { x: "new" } }] },
        ]);
      });
      await t.step("a missing stream is created, empty", async () => {
        const fresh = h.key("fresh");
        await h.store.ensureGroup(fresh, "g", "$");
        assert.equal(await h.store.length(fresh), 0);
        assert.deepEqual(await h.store.scan(fresh, "stream"), [fresh]);
        assert.deepEqual(await h.store.consume("g", [fresh]), []);
        const id = await append(h.store, fresh, { x: "1" });
        assert.deepEqual(taken(await h.store.consume("g", [fresh])), [id]);
      });
    },
  },
  {
    name: "consume() takes the oldest entries first, at most count per stream",
    async fn(h) {
      const [a, b, c] = [h.key("a"), h.key("b"), h.key("c")];
      const idsA = await appendN(h, a, 5);
      const idsB = await appendN(h, b, 2);
      for (const s of [a, b, c]) await h.store.ensureGroup(s, "g", "0");
      const one = plainBatches(await h.store.consume("g", [a, b, c], { count: 3 }));
      assert.deepEqual(one.map((x) => [x.stream, idsOf(x.entries)]), [
        [a, idsA.slice(0, 3)],
        [b, idsB],
      ]);
      const two = plainBatches(await h.store.consume("g", [a, b, c], { count: 3 }));
      assert.deepEqual(two.map((x) => [x.stream, idsOf(x.entries)]), [[a, idsA.slice(3)]]);
      assert.deepEqual(await h.store.consume("g", [a, b, c], { count: 3 }), []);
    },
  },
  {
    name:
      "an entry taken and not acked is given to another consumer after its lease, an acked one never",
    async fn(h, t) {
      const s = h.key("s");
      const [kept, acked] = await appendN(h, s, 2);
      await h.store.ensureGroup(s, "g", "0");
      const other = await h.reopen();
      await t.step("the first consumer takes both and acks one", async () => {
        assert.deepEqual(taken(await h.store.consume("g", [s], { leaseMs: 500 })), [kept, acked]);
        await h.store.ack(s, "g", [acked]);
      });
      await t.step("within its lease the entry is given to no one else", async () => {
        assert.deepEqual(await other.consume("g", [s], { leaseMs: 60_000 }), []);
      });
      let sinceRetaken = stopwatch();
      await t.step("after the lease the unacked entry goes to another consumer", async () => {
        await sleep(1500);
        assert.deepEqual(taken(await other.consume("g", [s], { leaseMs: 500 })), [kept]);
        sinceRetaken = stopwatch();
      });
      await t.step("taking it again starts a new lease", async () => {
        // First taken 1.5 s ago, retaken just now: only a renewed lease keeps it.
        const again = await h.store.consume("g", [s], { leaseMs: 1000 });
        if (sinceRetaken() < 900) assert.deepEqual(again, []); // else the machine stalled
      });
      await t.step("once acked, no entry is given out again", async () => {
        await other.ack(s, "g", [kept]);
        await sleep(700);
        assert.deepEqual(await h.store.consume("g", [s], { leaseMs: 500 }), []);
        assert.deepEqual(await other.consume("g", [s], { leaseMs: 500 }), []);
      });
    },
  },
  {
    name: "consume() with blockMs is woken by an append from another process",
    async fn(h, t) {
      const s = h.key("q");
      await h.store.ensureGroup(s, "g", "$");
      await t.step("with no append it returns [] after about blockMs", async () => {
        const elapsed = stopwatch();
        assert.deepEqual(await h.store.consume("g", [s], { blockMs: 300 }), []);
        assert.ok(elapsed() >= 250, `a 300 ms block returned after ${elapsed()} ms`);
        assert.ok(elapsed() < 10_000, `a 300 ms block returned after ${elapsed()} ms`);
      });
      await t.step("an append from another process wakes it", async () => {
        await using worker = spawnWorker(h.env, ["append", s, "1"]);
        await worker.ready();
        const consuming = h.store.consume("g", [s], { blockMs: 20_000 });
        await sleep(300); // the consume is blocked by now
        const elapsed = stopwatch();
        await worker.go();
        const [id] = await worker.result<string[]>();
        const batches = await consuming;
        assert.ok(elapsed() < 10_000, `woken after ${elapsed()} ms of a 20 s block`);
        assert.deepEqual(plainBatches(batches), [
          { stream: s, entries: [{ id, fields: { i: "0", pid: String(worker.pid) } }] },
        ]);
      });
    },
  },
];
