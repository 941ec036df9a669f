/** Blocking reads: woken by appends (same store, other store, other process), timeouts, aborts, close. */
import { append } from "../harness/store_ops.ts";
import assert from "node:assert/strict";
import type { StreamBatch } from "../../lib/store/port.ts";
import { type ConformanceCase, idsOf, plainBatches } from "./_case.ts";
import { HANG_MS, LONG_BLOCK_MS, withDeadline } from "../harness/timing.ts";
import { spawnWorker } from "../harness/store_worker_client.ts";

export const blockingCases: ConformanceCase[] = [
  {
    name: "read() with blockMs is woken by an append from another process",
    async fn(h) {
      const s = h.key("wake");
      await using worker = spawnWorker(h.env, ["append", s, "1"]);
      await worker.ready();
      const reading = h.store.read({ [s]: "0" }, { blockMs: LONG_BLOCK_MS });
      await h.untilBlocked(1);
      await worker.go();
      const [id] = await worker.result<string[]>();
      const batches = await withDeadline(reading, HANG_MS, "the blocked read");
      assert.deepEqual(plainBatches(batches), [
        { stream: s, entries: [{ id, fields: { i: "0", pid: String(worker.pid) } }] },
      ]);
    },
  },
  {
    name: "read() blocked in another process is woken by an append here",
    async fn(h) {
      const s = h.key("wake");
      await using worker = spawnWorker(h.env, ["block-read", s, "0", String(LONG_BLOCK_MS)]);
      await worker.ready();
      await worker.go();
      await h.untilBlocked(1);
      const id = await append(h.store, s, { x: "1" });
      const batches = await withDeadline(
        worker.result<StreamBatch[]>(),
        HANG_MS,
        "the read blocked in the worker",
      );
      assert.deepEqual(plainBatches(batches), [{
        stream: s,
        entries: [{ id, fields: { x: "1" } }],
      }]);
    },
  },
  {
    name: "read() with blockMs is woken by an append through the same store",
    async fn(h) {
      const s = h.key("wake");
      const reading = h.store.read({ [s]: "0" }, { blockMs: LONG_BLOCK_MS });
      await h.untilBlocked(1);
      const appending = append(h.store, s, { x: "1" });
      const id = await withDeadline(
        appending,
        HANG_MS,
        "append() while a read of the same store blocks",
      );
      const batches = await withDeadline(
        reading,
        HANG_MS,
        "the blocked read after an append",
      );
      assert.deepEqual(batches.map((b) => idsOf(b.entries)), [[id]]);
    },
  },
  {
    name: "two reads blocked at once on one store are both woken",
    async fn(h) {
      const [a, b] = [h.key("a"), h.key("b")];
      const readA = h.store.read({ [a]: "0" }, { blockMs: LONG_BLOCK_MS });
      const readB = h.store.read({ [b]: "0" }, { blockMs: LONG_BLOCK_MS });
      await h.untilBlocked(2);
      const idB = await withDeadline(
        append(h.store, b, { x: "b" }),
        HANG_MS,
        "append() to b",
      );
      const idA = await withDeadline(
        append(h.store, a, { x: "a" }),
        HANG_MS,
        "append() to a",
      );
      const [batchesA, batchesB] = await withDeadline(
        Promise.all([readA, readB]),
        HANG_MS,
        "the two blocked reads",
      );
      assert.deepEqual(batchesA.map((x) => idsOf(x.entries)), [[idA]]);
      assert.deepEqual(batchesB.map((x) => idsOf(x.entries)), [[idB]]);
    },
  },
  {
    // How long it waited is not asserted: that a blocked read waits at all is what
    // the cases above show (untilBlocked, then the append's entry comes back).
    name: "read() with blockMs and no new entry returns [] when the time is up",
    async fn(h, t) {
      const s = h.key("quiet");
      const quietRead = (cursor: string) =>
        withDeadline(h.store.read({ [s]: cursor }, { blockMs: 300 }), HANG_MS, "the read");
      await t.step("on a missing stream", async () => {
        assert.deepEqual(await quietRead("0"), []);
      });
      await t.step("on a stream read up to its last entry", async () => {
        const id = await append(h.store, s, { x: "1" });
        assert.deepEqual(await quietRead(id), []);
      });
    },
  },
  {
    name: "aborting the signal ends a blocked read promptly with []",
    async fn(h, t) {
      const s = h.key("abort");
      await t.step("aborted while blocked", async () => {
        const ac = new AbortController();
        const reading = h.store.read({ [s]: "0" }, { blockMs: LONG_BLOCK_MS, signal: ac.signal });
        await h.untilBlocked(1);
        ac.abort();
        assert.deepEqual(await withDeadline(reading, HANG_MS, "the aborted read"), []);
      });
      await t.step("aborted before the call", async () => {
        const signal = AbortSignal.abort();
        const reading = h.store.read({ [s]: "0" }, { blockMs: LONG_BLOCK_MS, signal });
        assert.deepEqual(await withDeadline(reading, HANG_MS, "the read"), []);
      });
      await t.step("the store still works afterwards", async () => {
        const id = await append(h.store, s, { x: "1" });
        const batches = await h.store.read({ [s]: "0" }, { blockMs: LONG_BLOCK_MS });
        assert.deepEqual(batches.map((b) => idsOf(b.entries)), [[id]]);
      });
    },
  },
  {
    name: "close() while a read and a consume are blocked ends both with []",
    async fn(h) {
      const [s, q] = [h.key("s"), h.key("q")];
      await h.store.ensureGroup(q, "g", "$");
      const reading = h.store.read({ [s]: "0" }, { blockMs: LONG_BLOCK_MS });
      const consuming = h.store.consume("g", [q], { blockMs: LONG_BLOCK_MS });
      await h.untilBlocked(2);
      await h.close();
      const [read, consumed] = await withDeadline(
        Promise.allSettled([reading, consuming]),
        HANG_MS,
        "the blocked read and consume after close()",
      );
      assert.deepEqual(read, { status: "fulfilled", value: [] }, "the blocked read");
      assert.deepEqual(consumed, { status: "fulfilled", value: [] }, "the blocked consume");
    },
  },
];
