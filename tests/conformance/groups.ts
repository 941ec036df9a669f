/** Consumer groups: ensureGroup, consume order and count, leases, ack, blocking consume. */
import { append } from "../harness/store_ops.ts";
import assert from "node:assert/strict";
import { appendN, type ConformanceCase, idsOf, plainBatches } from "./_case.ts";
import type { StreamBatch } from "../../lib/store/port.ts";
import { withDeadline } from "../harness/timing.ts";
import { spawnWorker } from "../harness/store_worker_client.ts";

/**
 * The lease of the retake case. "Taking it again starts a new lease" holds unless
 * the test stalls this long between two calls of the store.
 */
const LEASE_MS = 1500;

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
      // A lease is judged by the taker: consume(leaseMs) takes what was taken longer
      // than leaseMs ago and not acked.
      await t.step("the first consumer takes both and acks one", async () => {
        assert.deepEqual(taken(await h.store.consume("g", [s])), [kept, acked]);
        await h.store.ack(s, "g", [acked]);
      });
      await t.step("within its lease the entry is given to no one else", async () => {
        assert.deepEqual(await other.consume("g", [s], { leaseMs: 60_000 }), []);
      });
      await t.step("when its lease runs out it goes to a blocked consumer", async () => {
        const retaking = other.consume("g", [s], { leaseMs: LEASE_MS, blockMs: 20_000 });
        assert.deepEqual(taken(await withDeadline(retaking, 10_000, "the retake")), [kept]);
      });
      await t.step("taking it again starts a new lease", async () => {
        // Taken first at least LEASE_MS ago: a lease counted from the first take has run
        // out, one renewed by the retake just now has not.
        assert.deepEqual(await h.store.consume("g", [s], { leaseMs: LEASE_MS }), []);
      });
      await t.step("once acked, no entry is given out again", async () => {
        await other.ack(s, "g", [kept]);
        // Blocked for longer than the lease: an entry still pending would come back.
        const opts = { leaseMs: 200, blockMs: 1000 };
        assert.deepEqual(await h.store.consume("g", [s], opts), []);
        assert.deepEqual(await other.consume("g", [s], opts), []);
      });
    },
  },
  {
    name: "consume() with blockMs is woken by an append from another process",
    async fn(h, t) {
      const s = h.key("q");
      await h.store.ensureGroup(s, "g", "$");
      await t.step("with no append it returns [] when the time is up", async () => {
        const consuming = h.store.consume("g", [s], { blockMs: 300 });
        assert.deepEqual(await withDeadline(consuming, 10_000, "the consume"), []);
      });
      await t.step("an append from another process wakes it", async () => {
        await using worker = spawnWorker(h.env, ["append", s, "1"]);
        await worker.ready();
        const consuming = h.store.consume("g", [s], { blockMs: 20_000 });
        await h.untilBlocked(1);
        await worker.go();
        const [id] = await worker.result<string[]>();
        const batches = await withDeadline(consuming, 10_000, "the blocked consume");
        assert.deepEqual(plainBatches(batches), [
          { stream: s, entries: [{ id, fields: { i: "0", pid: String(worker.pid) } }] },
        ]);
      });
    },
  },
];
