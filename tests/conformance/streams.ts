/** Stream cases: append, appendMany, read (non-blocking), range, revRange, length, caps. */
import { append } from "../harness/store_ops.ts";
import assert from "node:assert/strict";
import {
  appendN,
  assertIncreasing,
  type ConformanceCase,
  idsOf,
  plain,
  plainBatches,
} from "./_case.ts";
import { eventually, withDeadline } from "../harness/timing.ts";

const ODD_FIELDS = { text: "héllo\nwörld 📨", empty: "", id: "not-the-id", "with space": "a=b" };

export const streamCases: ConformanceCase[] = [
  {
    name: "append() returns increasing ids and range() gives the entries oldest first",
    async fn(h, t) {
      const s = h.key("s");
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(await append(h.store, s, { i: String(i), ...ODD_FIELDS }));
      }
      await t.step("ids are <ms>-<seq> and strictly increasing", () => assertIncreasing(ids));
      await t.step("range() gives every entry with its fields as appended", async () => {
        const expected = ids.map((id, i) => ({ id, fields: { i: String(i), ...ODD_FIELDS } }));
        assert.deepEqual(plain(await h.store.range(s)), expected);
        assert.deepEqual(plain(await h.store.range(s, "-", "+")), expected, "range() consumed");
      });
      await t.step("range() bounds are inclusive and count limits from the oldest", async () => {
        assert.deepEqual(idsOf(await h.store.range(s, ids[1], ids[3])), ids.slice(1, 4));
        assert.deepEqual(idsOf(await h.store.range(s, ids[3], "+")), ids.slice(3));
        assert.deepEqual(idsOf(await h.store.range(s, "-", ids[0])), ids.slice(0, 1));
        assert.deepEqual(idsOf(await h.store.range(s, "-", "+", 2)), ids.slice(0, 2));
      });
    },
  },
  {
    name: 'read() returns the entries after a cursor, from "0" or from an id',
    async fn(h, t) {
      const s = h.key("s");
      const ids = await appendN(h, s, 5);
      await t.step('from "0": every entry', async () => {
        const batches = await h.store.read({ [s]: "0" });
        assert.deepEqual(plainBatches(batches), [
          { stream: s, entries: ids.map((id, i) => ({ id, fields: { i: String(i) } })) },
        ]);
      });
      await t.step("from an id: only the later entries", async () => {
        const batches = await h.store.read({ [s]: ids[2] });
        assert.deepEqual(batches.map((b) => idsOf(b.entries)), [ids.slice(3)]);
      });
      await t.step("from the last id: nothing, and the stream is left out", async () => {
        assert.deepEqual(await h.store.read({ [s]: ids[4] }), []);
      });
      await t.step("count limits, oldest first; the default count is 50", async () => {
        const two = await h.store.read({ [s]: "0" }, { count: 2 });
        assert.deepEqual(two.map((b) => idsOf(b.entries)), [ids.slice(0, 2)]);
        const more = await appendN(h, s, 55);
        const [batch] = await h.store.read({ [s]: "0" });
        assert.deepEqual(idsOf(batch.entries), [...ids, ...more].slice(0, 50));
      });
      await t.step("with blockMs, entries already there are returned at once", async () => {
        // The deadline is half the block: a read that waits its block out fails.
        const reading = h.store.read({ [s]: ids[3] }, { blockMs: 20_000, count: 1 });
        const [batch] = await withDeadline(reading, 10_000, "a read with an entry there");
        assert.deepEqual(idsOf(batch.entries), [ids[4]]);
      });
    },
  },
  {
    name: "read() of several streams returns each one's new entries and leaves out the rest",
    async fn(h) {
      const [a, b, c, missing] = ["a", "b", "c", "missing"].map(h.key);
      const idsA = await appendN(h, a, 3);
      const idsB = await appendN(h, b, 2);
      const idsC = await appendN(h, c, 1);
      const batches = await h.store.read({ [a]: "0", [b]: idsB[0], [c]: idsC[0], [missing]: "0" });
      assert.deepEqual(plainBatches(batches).map((x) => [x.stream, idsOf(x.entries)]), [
        [a, idsA],
        [b, idsB.slice(1)],
      ]);
    },
  },
  {
    name: "append() with maxLen 2000 keeps about the newest 2000 entries",
    async fn(h, t) {
      await t.step("2500 appends with maxLen 2000 keep 2000 to 2300, the newest", async () => {
        const s = h.key("capped");
        const ids = await appendN(h, s, 2500, 2000);
        const length = await h.store.length(s);
        assert.ok(length >= 2000 && length <= 2300, `length ${length} is not within [2000, 2300]`);
        assert.deepEqual(idsOf(await h.store.revRange(s, 1)), [ids[2499]]);
        assert.deepEqual(idsOf(await h.store.range(s)), ids.slice(2500 - length));
        const [first] = await h.store.read({ [s]: "0" }, { count: 1 });
        assert.deepEqual(idsOf(first.entries), [ids[2500 - length]]);
      });
      await t.step("without maxLen the cap is about 2000 too (appendMany)", async () => {
        const s = h.key("default-cap");
        const ops = Array.from({ length: 2500 }, (_, i) => ({ stream: s, fields: { i: `${i}` } }));
        const ids = await h.store.appendMany(ops);
        const length = await h.store.length(s);
        assert.ok(length >= 2000 && length <= 2300, `length ${length} is not within [2000, 2300]`);
        assert.deepEqual(idsOf(await h.store.range(s, "-", "+", 1)), [ids[2500 - length]]);
      });
    },
  },
  {
    name: "appendMany() returns the ids in order and applies ttlSec",
    async fn(h) {
      const [a, b] = [h.key("a"), h.key("b")];
      const ids = await h.store.appendMany([
        { stream: a, fields: { n: "1" } },
        { stream: b, fields: { n: "2" }, ttlSec: 1 },
        { stream: a, fields: { n: "3" } },
      ]);
      assert.equal(ids.length, 3);
      assertIncreasing([ids[0], ids[2]]);
      assert.deepEqual(plain(await h.store.range(a)), [
        { id: ids[0], fields: { n: "1" } },
        { id: ids[2], fields: { n: "3" } },
      ]);
      assert.deepEqual(plain(await h.store.range(b)), [{ id: ids[1], fields: { n: "2" } }]);
      // a's appends came before and after b's: a ttlSec wrongly applied to a would
      // have expired it with b.
      await eventually(
        () => h.store.length(b),
        (n) => n === 0,
        "the stream with ttlSec 1 to expire",
      );
      assert.deepEqual(await h.store.range(b), []);
      assert.equal(await h.store.length(a), 2, "a stream without ttlSec expired");
    },
  },
  {
    name: "revRange() gives the newest entries first, at most count",
    async fn(h) {
      const s = h.key("s");
      const ids = await appendN(h, s, 5);
      assert.deepEqual(idsOf(await h.store.revRange(s, 3)), [ids[4], ids[3], ids[2]]);
      assert.deepEqual(idsOf(await h.store.revRange(s, 10)), [...ids].reverse());
      assert.equal(await h.store.length(s), 5, "revRange() consumed");
    },
  },
  {
    name: "a missing stream has length 0, reads empty and is not created by reading",
    async fn(h) {
      const s = h.key("missing");
      assert.equal(await h.store.length(s), 0);
      assert.deepEqual(await h.store.range(s), []);
      assert.deepEqual(await h.store.revRange(s, 5), []);
      assert.deepEqual(await h.store.read({ [s]: "0" }), []);
      assert.deepEqual(await h.store.scan(h.prefix), []);
    },
  },
];
