/**
 * Tests of the Redis engine alone (the port's behaviour is the conformance
 * suite's): opening errors, the exact keys and fields on the wire, blocked reads
 * across a Redis restart, cancellation and the pooled connections. Each test runs
 * its own throwaway redis-server; a raw ioredis client checks what was written.
 */
import { append } from "./harness/store_ops.ts";
import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix
import type { Redis } from "npm:ioredis@5.11.1";
import { StoreError } from "../lib/errors.ts";
import type { Store } from "../lib/store/port.ts";
import { openRedisStore, prefixPattern } from "../lib/store/redis.ts";
import { originalCursors } from "../lib/store/redis_cursors.ts";
import { agentFile, ensureHome } from "../lib/paths.ts";
import { dirname } from "node:path";
import { freePort, type RedisServer, skipRedis, startRedis } from "./harness/redis_server.ts";
import { blockedClients, rawClient, untilBlockedClients } from "./harness/redis_raw.ts";
import { eventually, HANG_MS, LONG_BLOCK_MS, withDeadline } from "./harness/timing.ts";

const ignore = skipRedis();

// Timers, sockets and the redis-server child must all be gone when a test ends.
const OPTS = { ignore, sanitizeOps: true, sanitizeResources: true };

/** Runs `fn` with a fresh redis-server, a store on it and a raw client; all closed after. */
async function withRedis(
  fn: (r: RedisServer, store: Store, raw: Redis) => Promise<void>,
): Promise<void> {
  await using r = await startRedis(120);
  await using raw = await rawClient(r.url);
  const store = await openRedisStore(r.url);
  try {
    await fn(r, store, raw);
  } finally {
    await store.close();
  }
}

/** Names of the consumer groups of `stream` (none when it does not exist). */
async function groups(raw: Redis, stream: string): Promise<string[]> {
  const info = await raw.xinfo("GROUPS", stream).catch(() => []) as unknown[][];
  return info.map((g) => String(g[1]));
}

/** Number of client connections the server has, the raw client's included. */
async function clients(raw: Redis): Promise<number> {
  const list = String(await raw.client("LIST"));
  return list.split("\n").filter((line) => line.trim()).length;
}

Deno.test({ name: "opening an unreachable Redis fails with one line", ...OPTS }, async (t) => {
  const port = freePort(); // nothing listens there
  await t.step("naming the URL and how to start Redis", async () => {
    const url = `redis://127.0.0.1:${port}/0`;
    const opening = withDeadline(openRedisStore(url), HANG_MS, "opening");
    const err = await opening.then(() => null, (e) => e);
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${err}`);
    assert.equal(
      err.message,
      `Cannot reach Redis at ${url} (connection refused): start it with "docker compose up -d"` +
        ` in the agent-mesh folder, or install and run redis-server`,
    );
  });
  await t.step("without showing the password", async () => {
    const url = `redis://:hunter2@127.0.0.1:${port}/0`;
    const err = await openRedisStore(url).then(() => null, (e) => e);
    assert.ok(err instanceof StoreError);
    assert.ok(!err.message.includes("\n"), err.message);
    assert.ok(err.message.includes(`redis://:***@127.0.0.1:${port}/0`), err.message);
    assert.ok(!err.message.includes("hunter2"), err.message);
  });
});

Deno.test({ name: "a password-protected Redis", ...OPTS }, async (t) => {
  await using r = await startRedis(120);
  {
    await using raw = await rawClient(r.url);
    await raw.config("SET", "requirepass", "s3cret");
  }
  const withPass = (user: string, pass: string) => r.url.replace("//", `//${user}:${pass}@`);
  await t.step("refuses a wrong password without showing it", async () => {
    for (const url of [withPass("", "not-it"), withPass("default", "not-it"), r.url]) {
      const err = await openRedisStore(url).then(() => null, (e) => e);
      assert.ok(err instanceof StoreError, `expected a StoreError for ${url}`);
      assert.ok(!err.message.includes("not-it"), err.message);
      assert.match(err.message, /^Cannot reach Redis at redis:\/\/\S+ \((wrong|a password)/);
      assert.ok(err.message.includes("AGENT_MESH_REDIS_URL"), err.message);
    }
  });
  await t.step("opens with the right one, its location redacted", async () => {
    for (const [user, location] of [["", ":***@"], ["default", "default:***@"]]) {
      const store = await openRedisStore(withPass(user, "s3cret"));
      try {
        assert.equal(store.engine, "redis");
        assert.equal(store.location, r.url.replace("//", `//${location}`));
        assert.equal(await store.length("s"), 0);
      } finally {
        await store.close();
      }
    }
  });
  await t.step("a user without CLIENT rights can still cancel a read", async () => {
    {
      await using raw = await rawClient(withPass("", "s3cret"));
      await raw.call("ACL", "SETUSER", "limited", "on", ">pw", "~*", "&*", "+@all", "-client");
    }
    await using raw = await rawClient(withPass("", "s3cret"));
    const store = await openRedisStore(withPass("limited", "pw"));
    try {
      const ac = new AbortController();
      const reading = store.read({ s: "0" }, { blockMs: LONG_BLOCK_MS, signal: ac.signal });
      await untilBlockedClients(raw, 1);
      ac.abort();
      assert.deepEqual(await withDeadline(reading, HANG_MS, "the aborted read"), []);
      const id = await append(store, "s", { x: "1" });
      assert.deepEqual(await store.read({ s: "0" }, { blockMs: 1000 }), [
        { stream: "s", entries: [{ id, fields: { x: "1" } }] },
      ]);
    } finally {
      await store.close();
    }
  });
  await t.step("a missing database is refused", async () => {
    const err = await openRedisStore(withPass("", "s3cret").replace(/\/0$/, "/99")).then(
      () => null,
      (e) => e,
    );
    assert.ok(err instanceof StoreError);
    assert.match(err.message, /\(no such database\)/);
  });
});

Deno.test(
  { name: "keys and fields on the wire are exactly the given ones", ...OPTS },
  () =>
    withRedis(async (_r, store, raw) => {
      const inbox = "{mesh}:to_bob";
      const fields = { from: "alice", msg: "hi there", ts: "1795562024.32474", id: "u-1" };
      const id = await append(store, inbox, fields);
      const [inbox2, group, pong] = await store.appendMany([
        { stream: inbox, fields: { from: "alice", msg: "again" } },
        { stream: "{mesh}:group", fields: { from: "alice", msg: "again", to: "bob" } },
        { stream: "{mesh}:pong:abc", fields: { from: "bob", pong: "1" }, ttlSec: 60 },
      ]);
      await store.set("{mesh}:registry:bob", '{"agent":"bob"}', 180);
      assert.equal(
        await gateCount(store, "{mesh}:gate:rate:alice->bob", 10, "{mesh}:gate:audit"),
        1,
      );

      assert.deepEqual((await raw.keys("*")).sort(), [
        "{mesh}:gate:audit",
        "{mesh}:gate:rate:alice->bob",
        "{mesh}:group",
        "{mesh}:pong:abc",
        "{mesh}:registry:bob",
        "{mesh}:to_bob",
      ]);
      assert.deepEqual(await raw.xrange(inbox, "-", "+"), [
        [id, ["from", "alice", "msg", "hi there", "ts", "1795562024.32474", "id", "u-1"]],
        [inbox2, ["from", "alice", "msg", "again"]],
      ]);
      assert.deepEqual(await raw.xrange("{mesh}:group", "-", "+"), [
        [group, ["from", "alice", "msg", "again", "to", "bob"]],
      ]);
      assert.deepEqual(await raw.xrange("{mesh}:pong:abc", "-", "+"), [
        [pong, ["from", "bob", "pong", "1"]],
      ]);
      assert.equal(await raw.ttl(inbox), -1);
      assert.ok((await raw.ttl("{mesh}:pong:abc")) > 50);
      assert.ok((await raw.ttl("{mesh}:registry:bob")) > 170);
      assert.equal(await raw.get("{mesh}:registry:bob"), '{"agent":"bob"}');
      assert.equal(await raw.get("{mesh}:gate:rate:alice->bob"), "1");
      assert.equal(await raw.type("{mesh}:gate:rate:alice->bob"), "string");
    }),
);

Deno.test(
  { name: "the gate's counter expires when new or without expiry, as the original", ...OPTS },
  () =>
    withRedis(async (_r, store, raw) => {
      const key = "m:gate:rate:a->b";
      assert.equal(await gateCount(store, key, 10), 1);
      assert.ok((await raw.ttl(key)) > 8);
      await raw.expire(key, 100);
      assert.equal(await gateCount(store, key, 10), 2);
      assert.ok((await raw.ttl(key)) > 90, "an existing expiry is kept");
      await raw.persist(key);
      assert.equal(await gateCount(store, key, 10), 3);
      const ttl = await raw.ttl(key);
      assert.ok(ttl > 8 && ttl <= 10, `a lost expiry is set again (TTL ${ttl})`);
      await raw.script("FLUSH"); // as after a Redis restart: the script is loaded again
      assert.equal(await gateCount(store, key, 10), 4);
    }),
);

Deno.test(
  { name: "XADD trims approximately and scan() escapes glob characters", ...OPTS },
  () =>
    withRedis(async (_r, store, raw) => {
      for (let i = 0; i < 500; i++) await append(store, "m:s", { i: String(i) }, 10);
      const len = await raw.xlen("m:s");
      assert.ok(len >= 10 && len < 250, `XLEN ${len} after 500 appends with MAXLEN ~ 10`);

      await raw.set("m[x]?*:a", "1");
      await raw.set("m[y]:b", "1");
      await raw.xadd("m[x]?*:s", "*", "f", "v");
      assert.equal(prefixPattern("m[x]?*\\"), "m\\[x\\]\\?\\*\\\\*");
      assert.deepEqual(await store.scan("m[x]?*"), ["m[x]?*:a", "m[x]?*:s"]);
      assert.deepEqual(await store.scan("m[x]?*", "stream"), ["m[x]?*:s"]);
      assert.deepEqual(await store.scan("m[x]?*", "string"), ["m[x]?*:a"]);
      assert.deepEqual(await store.scan("none"), []);
    }),
);

Deno.test(
  { name: "a refused command is a one-line StoreError naming the key", ...OPTS },
  () =>
    withRedis(async (_r, store, raw) => {
      await raw.set("m:str", "x");
      const err = await store.length("m:str").then(() => null, (e) => e);
      assert.ok(err instanceof StoreError);
      assert.match(err.message, /^Redis at redis:\/\/\S+ refused XLEN "m:str": WRONGTYPE /);
      assert.ok(!err.message.includes("\n"));
      assert.equal(await store.get("m:str"), "x");
      await raw.xadd("m:stream", "*", "f", "v");
      assert.equal(await store.get("m:stream"), null, "a stream is no string key");
    }),
);

Deno.test({ name: "a blocked read survives a Redis restart", ...OPTS }, async (t) => {
  for (const hard of [false, true]) {
    await t.step(
      hard ? "killed (SIGKILL)" : "stopped (SIGTERM)",
      () =>
        withRedis(async (r, store, raw) => {
          const reading = store.read({ "m:wake": "0" }, { blockMs: LONG_BLOCK_MS });
          await untilBlockedClients(raw, 1);
          await r.stop(hard); // returns once the server has exited: the read's connection is gone
          await r.restart();
          const id = await withDeadline(append(store, "m:wake", { x: "1" }), HANG_MS, "append");
          const batches = await withDeadline(reading, HANG_MS, "the blocked read");
          assert.deepEqual(batches, [{ stream: "m:wake", entries: [{ id, fields: { x: "1" } }] }]);
        }),
    );
  }
  await t.step(
    "down for the whole wait: [] at the deadline, not an error",
    () =>
      withRedis(async (r, store) => {
        await r.stop();
        const reading = store.read({ "m:s": "0" }, { blockMs: 1500 });
        assert.deepEqual(await withDeadline(reading, HANG_MS, "the read"), []);
        // Redis stays down: the store is closed while reconnecting, leaving no timer behind.
      }),
  );
  await t.step(
    "a consume started while Redis is down gets the entry",
    () =>
      withRedis(async (r, store, raw) => {
        await store.ensureGroup("m:q", "g", "$");
        await r.stop();
        const consuming = store.consume("g", ["m:q"], { blockMs: LONG_BLOCK_MS });
        await r.restart(); // the restarted server is empty: the group is recreated
        // A blocked XREADGROUP means its group is back (on a missing group it fails at once).
        await untilBlockedClients(raw, 1);
        const id = await append(store, "m:q", { x: "1" });
        const batches = await withDeadline(consuming, HANG_MS, "the blocked consume");
        assert.deepEqual(batches, [{ stream: "m:q", entries: [{ id, fields: { x: "1" } }] }]);
      }),
  );
});

Deno.test(
  { name: "aborting a blocked read is prompt and reuses its connection", ...OPTS },
  () =>
    withRedis(async (_r, store, raw) => {
      const before = await clients(raw);
      for (let i = 0; i < 3; i++) {
        const ac = new AbortController();
        const reading = store.read({ "m:a": "0" }, { blockMs: LONG_BLOCK_MS, signal: ac.signal });
        await untilBlockedClients(raw, 1);
        assert.equal(await clients(raw), before + 1, "one pooled connection for the read");
        ac.abort();
        assert.deepEqual(await withDeadline(reading, HANG_MS, "the aborted read"), []);
        await eventually(() => blockedClients(raw), (n) => n === 0, "the XREAD unblocked");
      }
      // Aborted at once, before the XREAD has even reached the server.
      for (let i = 0; i < 20; i++) {
        const ac = new AbortController();
        const reading = store.read({ "m:a": "0" }, { blockMs: LONG_BLOCK_MS, signal: ac.signal });
        ac.abort();
        assert.deepEqual(await withDeadline(reading, HANG_MS, "the aborted read"), []);
      }
      assert.equal(await clients(raw), before + 1, "the pooled connection was reused");
      const id = await append(store, "m:a", { x: "1" });
      assert.deepEqual(await store.read({ "m:a": "0" }, { blockMs: LONG_BLOCK_MS }), [
        { stream: "m:a", entries: [{ id, fields: { x: "1" } }] },
      ]);
    }),
);

Deno.test({ name: "consume() uses one consumer name and leases", ...OPTS }, async (t) => {
  await withRedis(async (_r, store, raw) => {
    const q = "{mesh}:to_bob";
    await store.ensureGroup(q, "g", "0");
    await store.ensureGroup(q, "g", "0"); // BUSYGROUP is not an error
    const id = await append(store, q, { msg: "1" });
    await t.step("an expiring lease is noticed while blocked, with no new append", async () => {
      assert.deepEqual(await store.consume("g", [q], { leaseMs: 400 }), [
        { stream: q, entries: [{ id, fields: { msg: "1" } }] },
      ]);
      // Not noticed, the consume would wait out its block and return [].
      const retaking = store.consume("g", [q], { leaseMs: 400, blockMs: LONG_BLOCK_MS });
      const again = await withDeadline(retaking, HANG_MS, "the retake");
      assert.deepEqual(again, [{ stream: q, entries: [{ id, fields: { msg: "1" } }] }]);
      await store.ack(q, "g", [id]);
    });
    await t.step("every taker is the one consumer agent-mesh", async () => {
      const consumers = (await raw.xinfo("CONSUMERS", q, "g")) as unknown[][];
      assert.deepEqual(consumers.map((c) => c[1]), ["agent-mesh"]);
    });
    await t.step("a deleted stream gets its group back", async () => {
      await raw.del(q);
      assert.deepEqual(await store.consume("g", [q]), []);
      const next = await append(store, q, { msg: "2" });
      assert.deepEqual(await store.consume("g", [q], { blockMs: 1000 }), [
        { stream: q, entries: [{ id: next, fields: { msg: "2" } }] },
      ]);
      await store.ack(q, "g", [next]);
      await raw.del(q);
      await store.ack(q, "g", [next]); // nothing left to acknowledge: no error
    });
    await t.step("a stream deleted under a blocked consume gets its group back", async () => {
      await store.ensureGroup(q, "g", "$");
      const consuming = store.consume("g", [q], { blockMs: LONG_BLOCK_MS });
      await untilBlockedClients(raw, 1);
      await raw.del(q); // Redis 7 unblocks the XREADGROUP with an error
      // The engine recreates the group and blocks again.
      await eventually(() => groups(raw, q), (names) => names.includes("g"), "the group back");
      await untilBlockedClients(raw, 1);
      const next = await append(store, q, { msg: "3" });
      assert.deepEqual(await withDeadline(consuming, HANG_MS, "the blocked consume"), [
        { stream: q, entries: [{ id: next, fields: { msg: "3" } }] },
      ]);
    });
  });
});

Deno.test({ name: "close() ends blocked reads and every connection", ...OPTS }, async () => {
  await using r = await startRedis(120);
  await using raw = await rawClient(r.url);
  const store = await openRedisStore(r.url);
  await store.ensureGroup("m:q", "g", "$");
  const reads = [1, 2, 3].map((i) => store.read({ [`m:${i}`]: "0" }, { blockMs: LONG_BLOCK_MS }));
  const consuming = store.consume("g", ["m:q"], { blockMs: LONG_BLOCK_MS });
  await untilBlockedClients(raw, 4);
  assert.equal(await clients(raw), 6);
  await withDeadline(store.close(), HANG_MS, "close()");
  const ended = withDeadline(Promise.all([...reads, consuming]), HANG_MS, "the blocked calls");
  assert.deepEqual(await ended, [[], [], [], []]);
  await eventually(() => clients(raw), (n) => n === 1, "every connection of the store closed");
  await assert.rejects(store.length("m:q"), StoreError);
  await store.close(); // twice is fine
});

/** Counts one gated send of nothing through `key`'s window. */
async function gateCount(
  store: Store,
  key: string,
  windowSec: number,
  auditStream = "m:audit",
): Promise<number> {
  const audit = { stream: auditStream, fields: { rate: "", verdict: "" } };
  const gate = { key, windowSec, limit: 1000, enforce: false, audit };
  return (await store.send({ gate, writes: {} })).count;
}

Deno.test(
  {
    name: "an agent's new consumer groups start where the original tool's cursors left off",
    ...OPTS,
  },
  async () => {
    await using r = await startRedis(120);
    const home = await Deno.makeTempDir();
    const store = await openRedisStore(r.url, originalCursors(home, "m"));
    try {
      const old = await append(store, "m:to_bob", { msg: "old" });
      const oldGroup = await append(store, "m:group", { msg: "old group" });
      for (const [kind, id] of [["cursor", old], ["groupCursor", oldGroup]] as const) {
        const path = agentFile(home, kind, "bob");
        ensureHome(dirname(path));
        await Deno.writeTextFile(path, `${id}\n`);
      }
      const next = await append(store, "m:to_bob", { msg: "new" });
      const nextGroup = await append(store, "m:group", { msg: "new group" });
      await store.ensureGroup("m:to_bob", "agent-mesh:bob", "0");
      await store.ensureGroup("m:group", "agent-mesh:bob", "$");
      // Another agent without cursors: from the start, as asked.
      await store.ensureGroup("m:to_bob", "agent-mesh:amy", "0");
      const taken = await store.consume("agent-mesh:bob", ["m:to_bob", "m:group"]);
      assert.deepEqual(
        taken.map((b) => [b.stream, b.entries.map((e) => e.id)]),
        [["m:to_bob", [next]], ["m:group", [nextGroup]]],
      );
      const other = await store.consume("agent-mesh:amy", ["m:to_bob"]);
      assert.deepEqual(other[0].entries.map((e) => e.id), [old, next]);
    } finally {
      await store.close();
      await Deno.remove(home, { recursive: true });
    }
  },
);
