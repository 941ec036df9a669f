/** Strings, and the gate of `send`: set, get, getMany, TTLs, the rate window. */
import { append } from "../harness/store_ops.ts";
import assert from "node:assert/strict";
import type { SendPlan } from "../../lib/store/port.ts";
import type { OpenedStore } from "../harness/store_engines.ts";
import type { ConformanceCase } from "./_case.ts";
import { eventually } from "../harness/timing.ts";

export const stringCases: ConformanceCase[] = [
  {
    name: "set(), get() and getMany() round-trip strings and give null for missing keys",
    async fn(h) {
      const [a, b, c, missing] = ["a", "b", "c", "missing"].map(h.key);
      const odd = '{"agent":"x","ts":1.5} héllo\n📨 \\ \' "';
      await h.store.set(a, "1");
      await h.store.set(b, "");
      await h.store.set(c, odd);
      assert.equal(await h.store.get(a), "1");
      assert.equal(await h.store.get(b), "");
      assert.equal(await h.store.get(c), odd);
      assert.equal(await h.store.get(missing), null);
      assert.deepEqual(await h.store.getMany([c, missing, a, b]), [odd, null, "1", ""]);
      assert.deepEqual(await h.store.getMany([missing]), [null]);
      await h.store.set(a, "2");
      assert.equal(await h.store.get(a), "2", "set() did not overwrite");
    },
  },
  {
    name: "a string set with ttlSec 1 expires, one set without ttlSec stays",
    async fn(h) {
      const [short, kept, renewed] = ["short", "kept", "renewed"].map(h.key);
      // renewed is set with its TTL before short: an expiry that a set without ttlSec
      // failed to drop would have run out by the time short's does.
      await h.store.set(renewed, "v", 1);
      await h.store.set(short, "v", 1);
      await h.store.set(kept, "v");
      await h.store.set(renewed, "w"); // as SET on Redis: a set without ttlSec drops the expiry
      assert.equal(await h.store.get(short), "v");
      await eventually(
        () => h.store.get(short),
        (v) => v === null,
        "the key with ttlSec 1 to expire",
      );
      assert.deepEqual(await h.store.getMany([short, kept, renewed]), [null, "v", "w"]);
      assert.deepEqual((await h.store.scan(h.prefix)).sort(), [kept, renewed].sort());
    },
  },
  {
    name: "send() counts 1, 2, 3 in a gate window and restarts at 1 after it expires",
    async fn(h, t) {
      const k = h.key("rate");
      const count = (key: string, windowSec: number) => gateCount(h, key, windowSec);
      await t.step("1, 2, 3 within the window, then 1 after it", async () => {
        assert.deepEqual([await count(k, 1), await count(k, 1), await count(k, 1)], [1, 2, 3]);
        await eventually(() => h.store.get(k), (v) => v === null, "the window to end");
        assert.equal(await count(k, 1), 1);
      });
      await t.step("a counter without expiry gets one", async () => {
        const old = h.key("old");
        await h.store.set(old, "5");
        assert.equal(await count(old, 1), 6);
        await eventually(() => h.store.get(old), (v) => v === null, "the counter to expire");
      });
    },
  },
  {
    name:
      "send() appends the audit entry with its count and verdict, and the message unless denied",
    async fn(h) {
      const rate = h.key("gate:rate:a->b");
      const audit = h.key("audit");
      const inbox = h.key("to_b");
      const state = h.key("state");
      const events = h.key("events");
      const plan = (n: number): SendPlan => ({
        gate: {
          key: rate,
          windowSec: 10,
          limit: 1,
          enforce: n === 3,
          audit: { stream: audit, fields: { from: "a", rate: "", verdict: "", msg: `m${n}` } },
        },
        writes: { appends: [{ stream: inbox, fields: { msg: `m${n}` } }] },
        views: {
          appends: [{ stream: events, fields: { event: "sent", n: `${n}` } }],
          sets: [{ key: state, value: `s${n}`, ttlSec: 60 }],
        },
      });
      const results = [];
      for (let n = 1; n <= 3; n++) results.push(await h.store.send(plan(n)));
      assert.deepEqual(results.map((r) => [r.count, r.verdict, r.ids.length]), [
        [1, "allow", 1],
        [2, "observe", 1],
        [3, "deny", 0],
      ]);
      assert.equal(await h.store.get(rate), "3");
      const audited = await h.store.range(audit);
      assert.deepEqual(audited.map((e) => e.fields), [
        { from: "a", rate: "1", verdict: "allow", msg: "m1" },
        { from: "a", rate: "2", verdict: "observe", msg: "m2" },
        { from: "a", rate: "3", verdict: "deny", msg: "m3" },
      ]);
      const delivered = await h.store.range(inbox);
      assert.deepEqual(delivered.map((e) => e.fields.msg), ["m1", "m2"]);
      assert.deepEqual(delivered.map((e) => e.id), results.slice(0, 2).map((r) => r.ids[0]));
      assert.deepEqual((await h.store.range(events)).map((e) => e.fields.n), ["1", "2"]);
      assert.equal(await h.store.get(state), "s2", "a denied send wrote its views");
      assert.deepEqual(await h.store.send({ writes: {} }), { count: 0, verdict: "allow", ids: [] });
    },
  },
  {
    name: "send() lets the message through with 0 when the counter fails, and views never fail it",
    async fn(h) {
      const notCounter = h.key("gate:rate:stream");
      await append(h.store, notCounter, { x: "1" });
      const notEvents = h.key("events-is-a-string");
      await h.store.set(notEvents, "x");
      const out = h.key("out");
      const audit = h.key("audit");
      const { count, verdict, ids } = await h.store.send({
        gate: {
          key: notCounter,
          windowSec: 10,
          limit: 0,
          enforce: true,
          audit: { stream: audit, fields: { rate: "", verdict: "" } },
        },
        writes: { appends: [{ stream: out, fields: { m: "1" } }] },
        views: { appends: [{ stream: notEvents, fields: { e: "1" } }] },
      });
      assert.deepEqual([count, verdict], [0, "allow"]);
      assert.deepEqual((await h.store.range(out)).map((e) => e.id), ids);
      assert.deepEqual((await h.store.range(audit)).map((e) => e.fields.rate), ["0"]);
      assert.equal(await h.store.length(notCounter), 1, "the stream is left as it was");
      assert.equal(await h.store.get(notEvents), "x", "the view's key is left as it was");
    },
  },
];

/** Counts one gated send of nothing through `key`'s window; returns the count. */
async function gateCount(h: OpenedStore, key: string, windowSec: number): Promise<number> {
  const audit = { stream: h.key("gate-audit"), fields: { rate: "", verdict: "" } };
  const gate = { key, windowSec, limit: 1000, enforce: false, audit };
  return (await h.store.send({ gate, writes: {} })).count;
}
