/** Several OS processes on one store at once: exactly-once consume, no lost appends. */
import { append } from "../harness/store_ops.ts";
import assert from "node:assert/strict";
import { assertIncreasing, compareIds, type ConformanceCase, idsOf } from "./_case.ts";
import { spawnWorker } from "../harness/store_worker_client.ts";

export const processCases: ConformanceCase[] = [
  {
    name: "consume() never gives one entry to two consumers in two processes",
    async fn(h) {
      const s = h.key("jobs");
      await h.store.ensureGroup(s, "workers", "0");
      // Each takes entries one at a time until it takes a stop entry (two are appended
      // last: one each, since a worker takes nothing after its stop entry).
      await using a = spawnWorker(h.env, ["consume", "workers", s, "1000", "30000"]);
      await using b = spawnWorker(h.env, ["consume", "workers", s, "1000", "30000"]);
      await Promise.all([a.ready(), b.ready()]);
      await Promise.all([a.go(), b.go()]);
      const appended: string[] = [];
      for (let i = 0; i < 200; i++) appended.push(await append(h.store, s, { i: String(i) }));
      for (const who of ["a", "b"]) await append(h.store, s, { stop: who });
      const [byA, byB] = await Promise.all([a.result<string[]>(), b.result<string[]>()]);
      assert.equal(new Set(byA).size, byA.length, "a consumer got one entry twice");
      assert.equal(new Set(byB).size, byB.length, "a consumer got one entry twice");
      const both = byA.filter((id) => byB.includes(id));
      assert.deepEqual(both, [], "entries given to both consumers");
      assert.deepEqual([...byA, ...byB].sort(), [...appended].sort(), "union of taken ≠ appended");
    },
  },
  {
    name: "4 processes appending 500 entries each to one store lose none",
    async fn(h) {
      const s = h.key("busy");
      const workers = [0, 1, 2, 3].map(() => spawnWorker(h.env, ["append", s, "500", "100000"]));
      try {
        await Promise.all(workers.map((w) => w.ready()));
        await Promise.all(workers.map((w) => w.go()));
        const returned = await Promise.all(workers.map((w) => w.result<string[]>()));
        const entries = await h.store.range(s);
        assert.equal(await h.store.length(s), 2000);
        assert.equal(entries.length, 2000);
        assertIncreasing(idsOf(entries));
        assert.deepEqual(idsOf(entries), returned.flat().sort(compareIds));
        for (const w of workers) {
          const mine = entries.filter((e) => e.fields.pid === String(w.pid));
          const expected = Array.from({ length: 500 }, (_, i) => String(i));
          assert.deepEqual(mine.map((e) => e.fields.i), expected, `entries of process ${w.pid}`);
        }
      } finally {
        await Promise.all(workers.map((w) => w[Symbol.asyncDispose]()));
      }
    },
  },
];
