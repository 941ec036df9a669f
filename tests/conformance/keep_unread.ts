/**
 * Appends that keep unread entries (AppendOp.keepUnread): the no-loss rule of the
 * inboxes, at the port. Nothing a group has not acknowledged is trimmed; a full
 * stream refuses the whole call; read entries beyond maxLen go.
 */
import assert from "node:assert/strict";
import { InboxFullError } from "../../lib/errors.ts";
import type { AppendOp } from "../../lib/store/port.ts";
import type { OpenedStore } from "../harness/store_engines.ts";
import type { ConformanceCase } from "./_case.ts";

function op(stream: string, i: number, maxLen = 10, maxUnread = 1000): AppendOp {
  return { stream, fields: { i: String(i) }, maxLen, keepUnread: { group: "g", maxUnread } };
}

async function appendKept(h: OpenedStore, stream: string, from: number, n: number) {
  const ids: string[] = [];
  for (let i = from; i < from + n; i++) ids.push(...await h.store.appendMany([op(stream, i)]));
  return ids;
}

/** Takes and acknowledges everything `g` can take now, keeping 10 read; returns the ids. */
async function takeAll(h: OpenedStore, stream: string): Promise<string[]> {
  const got = await h.store.consume("g", [stream], { count: 1000, leaseMs: 60_000 });
  const ids = got.flatMap((b) => b.entries.map((e) => e.id));
  await h.store.ack(stream, "g", ids, { keepRead: 10 });
  return ids;
}

export const keepUnreadCases: ConformanceCase[] = [
  {
    name: "keepUnread: without a group every entry is unread and none is trimmed",
    async fn(h) {
      const s = h.key("inbox");
      const ids = await appendKept(h, s, 0, 60);
      assert.equal(await h.store.length(s), 60);
      await h.store.ensureGroup(s, "g", "0");
      assert.deepEqual(await takeAll(h, s), ids);
    },
  },
  {
    name: "keepUnread: a taken, unacknowledged entry survives trims of entries acked after it",
    async fn(h) {
      const s = h.key("inbox");
      await h.store.ensureGroup(s, "g", "0");
      const [held] = await appendKept(h, s, 0, 1);
      const taken = await h.store.consume("g", [s], { count: 1, leaseMs: 60_000 });
      assert.equal(taken[0].entries[0].id, held);
      // 60 more, each taken and acknowledged: all read but the held one.
      for (let i = 1; i <= 60; i++) {
        await appendKept(h, s, i, 1);
        await takeAll(h, s);
      }
      const first = await h.store.range(s, "-", "+", 1);
      assert.equal(first[0]?.id, held, "the unacknowledged entry is still there");
      assert.ok(await h.store.length(s) > 12, "read entries are kept while the oldest waits");
      // Acknowledged at last: the read history is trimmed to about maxLen (by the
      // acknowledgement on Redis, by the next append on the embedded engine).
      await h.store.ack(s, "g", [held], { keepRead: 10 });
      await appendKept(h, s, 61, 1);
      const len = await h.store.length(s);
      assert.ok(len <= 10 + 2 + 1, `${len} entries left`);
    },
  },
  {
    name: "keepUnread: a full stream refuses the whole call and writes nothing",
    async fn(h) {
      const s = h.key("inbox");
      const other = h.key("feed");
      for (let i = 0; i < 5; i++) await h.store.appendMany([op(s, i, 10, 5)]);
      await assert.rejects(
        () => h.store.appendMany([{ stream: other, fields: { x: "1" } }, op(s, 5, 10, 5)]),
        (err: Error) => err instanceof InboxFullError && err.stream === s && err.unread === 5,
      );
      assert.equal(await h.store.length(s), 5);
      assert.equal(await h.store.length(other), 0, "the other op of the call was not written");
      // Acknowledged entries no longer count.
      await h.store.ensureGroup(s, "g", "0");
      const got = await h.store.consume("g", [s], { count: 2, leaseMs: 60_000 });
      await h.store.ack(s, "g", got[0].entries.map((e) => e.id));
      await h.store.appendMany([op(s, 5, 10, 5)]);
      assert.equal(await h.store.length(s), 6);
    },
  },
];
