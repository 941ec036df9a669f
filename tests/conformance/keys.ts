/** Keys of any type: scan, del, expire. */
import { append } from "../harness/store_ops.ts";
import assert from "node:assert/strict";
import { type ConformanceCase, idsOf, plainBatches } from "./_case.ts";
import { eventually } from "../harness/timing.ts";

function sorted(keys: string[]): string[] {
  return [...keys].sort();
}

/**
 * Prefixes with a character that is a wildcard in Redis globs or SQL LIKE, each with
 * a key it must match and a decoy that would match if the character were a wildcard.
 */
const LITERAL_PREFIXES = [
  { prefix: "a_b:", key: "a_b:1", decoy: "axb:1" },
  { prefix: "a%b:", key: "a%b:1", decoy: "axyzb:1" },
  { prefix: "a*b:", key: "a*b:1", decoy: "axyzb:1" },
  { prefix: "a?b:", key: "a?b:1", decoy: "axb:1" },
  { prefix: "a[x]b:", key: "a[x]b:1", decoy: "axb:1" },
  { prefix: "a\\b:", key: "a\\b:1", decoy: "ab:1" },
];

export const keyCases: ConformanceCase[] = [
  {
    name: "scan() lists the live keys with a prefix, of both types or of one",
    async fn(h, t) {
      const [s1, s2, k1, k2] = ["s1", "s2", "k1", "k2"].map((n) => h.key(`in:${n}`));
      const outside = h.key("out:k");
      await append(h.store, s1, { x: "1" });
      await append(h.store, s2, { x: "1" });
      await h.store.set(k1, "1");
      await h.store.set(k2, "1");
      await h.store.set(outside, "1");
      const prefix = h.key("in:");
      await t.step("both types", async () => {
        assert.deepEqual(sorted(await h.store.scan(prefix)), sorted([s1, s2, k1, k2]));
      });
      await t.step("strings only", async () => {
        assert.deepEqual(sorted(await h.store.scan(prefix, "string")), sorted([k1, k2]));
      });
      await t.step("streams only", async () => {
        assert.deepEqual(sorted(await h.store.scan(prefix, "stream")), sorted([s1, s2]));
      });
      await t.step("a prefix nothing has", async () => {
        assert.deepEqual(await h.store.scan(h.key("none:")), []);
      });
    },
  },
  {
    name: "scan() matches a prefix holding * % _ ? [ or \\ literally",
    async fn(h, t) {
      for (const [i, { prefix, key, decoy }] of LITERAL_PREFIXES.entries()) {
        await t.step(`prefix ${JSON.stringify(prefix)}`, async () => {
          const ns = h.key(`${i}/`);
          await h.store.set(ns + key, "1");
          await append(h.store, ns + decoy, { x: "1" });
          assert.deepEqual(await h.store.scan(ns + prefix), [ns + key]);
          assert.deepEqual(await h.store.scan(ns + prefix, "string"), [ns + key]);
          assert.deepEqual(await h.store.scan(ns + prefix, "stream"), []);
        });
      }
    },
  },
  {
    name: "del() removes strings and streams and counts the keys that existed",
    async fn(h, t) {
      const [k, s, missing] = [h.key("k"), h.key("s"), h.key("missing")];
      await h.store.set(k, "1");
      await append(h.store, s, { x: "1" });
      await t.step("the count leaves out missing keys", async () => {
        assert.equal(await h.store.del(k, s, missing), 2);
        assert.equal(await h.store.get(k), null);
        assert.equal(await h.store.length(s), 0);
        assert.deepEqual(await h.store.read({ [s]: "0" }), []);
        assert.deepEqual(await h.store.scan(h.prefix), []);
        assert.equal(await h.store.del(k, s), 0);
      });
      await t.step("no keys: 0", async () => {
        assert.equal(await h.store.del(), 0);
      });
      await t.step("a deleted stream's consumer groups go with it", async () => {
        await append(h.store, s, { x: "old" });
        await h.store.ensureGroup(s, "g", "0");
        assert.equal((await h.store.consume("g", [s])).length, 1);
        assert.equal(await h.store.del(s), 1);
        const id = await append(h.store, s, { x: "new" });
        await h.store.ensureGroup(s, "g", "$"); // a new group: starts after `id`
        assert.deepEqual(await h.store.consume("g", [s]), []);
        const next = await append(h.store, s, { x: "next" });
        const batches = plainBatches(await h.store.consume("g", [s]));
        assert.deepEqual(batches.flatMap((b) => idsOf(b.entries)), [next], `not ${id}`);
      });
    },
  },
  {
    name: "a stream or a string with a TTL expires, and reads as absent once expired",
    async fn(h) {
      const [s, k, kept] = ["s", "k", "kept"].map(h.key);
      await h.store.appendMany([{ stream: s, fields: { x: "1" }, ttlSec: 1 }]);
      await h.store.set(k, "1", 1);
      await append(h.store, kept, { x: "1" });
      await eventually(() => h.store.length(s), (n) => n === 0, "the stream to expire");
      assert.deepEqual(await h.store.range(s), []);
      assert.deepEqual(await h.store.read({ [s]: "0" }), []);
      await eventually(() => h.store.get(k), (v) => v === null, "the string to expire");
      assert.deepEqual(await h.store.scan(h.prefix), [kept]);
    },
  },
];
