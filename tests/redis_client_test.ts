/**
 * The light Redis client (lib/store/redis/client.ts) against a real redis-server:
 * URLs, AUTH and SELECT, pipelined replies in order, error replies, scripts,
 * MULTI batches, command timeouts on a frozen server, reconnects after a restart,
 * and a close that leaves nothing running (the test sanitizers are on).
 */
import assert from "node:assert/strict";
import {
  ConnectionClosedError,
  MaxRetriesPerRequestError,
  parseRedisUrl,
  RedisClient,
  ReplyError,
  Script,
  TimeoutError,
} from "../lib/store/redis/client.ts";
import { skipRedis, startRedis } from "./harness/redis_server.ts";
import { HANG_MS, withDeadline } from "./harness/timing.ts";

const ignore = skipRedis();
const retryDelay = (n: number) => Math.min(50 * 2 ** (n - 1), 500);

async function open(url: string, options = {}): Promise<RedisClient> {
  const client = new RedisClient(parseRedisUrl(url), options);
  await client.connect();
  return client;
}

Deno.test("parseRedisUrl reads host, port, TLS, user, password and database", () => {
  assert.deepEqual(parseRedisUrl("redis://localhost:6380/2"), {
    hostname: "localhost",
    port: 6380,
    tls: false,
    username: undefined,
    password: undefined,
    db: 2,
  });
  assert.deepEqual(parseRedisUrl("REDISS://al%40b:p%3Aw@[::1]"), {
    hostname: "::1",
    port: 6379,
    tls: true,
    username: "al@b",
    password: "p:w",
    db: 0,
  });
  assert.equal(parseRedisUrl("redis://:secret@h/").password, "secret");
  assert.throws(() => parseRedisUrl("http://h"), TypeError);
  assert.throws(() => parseRedisUrl("redis://h/x"), TypeError);
  assert.throws(() => parseRedisUrl("not a url"), TypeError);
});

Deno.test(
  { name: "commands, pipelining, error replies, scripts and batches", ignore },
  async (t) => {
    await using server = await startRedis(120);
    const client = await open(server.url, { commandTimeoutMs: 5000 });
    try {
      await t.step("replies come back in order, typed as Redis gives them", async () => {
        const replies = await Promise.all([
          client.call("SET", "k", "välue"),
          client.call("GET", "k"),
          client.call("INCR", "n"),
          client.call("GET", "missing"),
          client.call("XADD", "s", "*", "f", "v"),
          client.call("XRANGE", "s", "-", "+"),
          client.call("XREAD", "COUNT", 1, "STREAMS", "nothing", "0"),
        ]);
        assert.equal(replies[0], "OK");
        assert.equal(replies[1], "välue");
        assert.equal(replies[2], 1);
        assert.equal(replies[3], null);
        assert.deepEqual(replies[5], [[replies[4], ["f", "v"]]]);
        assert.equal(replies[6], null);
      });

      await t.step("a large reply split over many reads", async () => {
        const big = "x".repeat(300_000);
        await client.call("SET", "big", big);
        const [a, b] = await Promise.all([client.call("GET", "big"), client.call("ECHO", "after")]);
        assert.equal(a, big);
        assert.equal(b, "after");
      });

      await t.step(
        "an error reply rejects with Redis's message, the next command is fine",
        async () => {
          const [bad, good] = await Promise.allSettled([
            client.call("XLEN", "k"),
            client.call("GET", "k"),
          ]);
          assert.equal(bad.status, "rejected");
          const err = (bad as PromiseRejectedResult).reason;
          assert.ok(err instanceof ReplyError);
          assert.match(err.message, /^WRONGTYPE Operation against a key holding the wrong kind/);
          assert.deepEqual(good, { status: "fulfilled", value: "välue" });
        },
      );

      await t.step(
        "a script runs by EVAL, then EVALSHA, and again after SCRIPT FLUSH",
        async () => {
          const script = new Script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
          assert.equal(await client.evalScript(script, ["c"], [2]), 2);
          assert.equal(await client.evalScript(script, ["c"], [3]), 5);
          const sha = await script.sha();
          assert.match(sha ?? "", /^[0-9a-f]{40}$/);
          assert.deepEqual(await client.call("SCRIPT", "EXISTS", sha!), [1]);
          await client.call("SCRIPT", "FLUSH");
          assert.equal(await client.evalScript(script, ["c"], [4]), 9);
          await assert.rejects(
            client.evalScript(new Script("return redis.error_reply('FULL 0 7')"), [], []),
            (err) => err instanceof ReplyError && err.message === "FULL 0 7",
          );
        },
      );

      await t.step("a batch is written back to back; EXEC's failures are ReplyErrors", async () => {
        const replies = await client.batch([
          ["MULTI"],
          ["SET", "t", "1"],
          ["INCR", "k"], // a string that is no number: fails inside EXEC
          ["EXEC"],
        ]);
        assert.deepEqual(replies.slice(0, 3), ["OK", "QUEUED", "QUEUED"]);
        const exec = replies[3] as unknown[];
        assert.equal(exec[0], "OK");
        assert.ok(exec[1] instanceof ReplyError, String(exec[1]));
        assert.match((exec[1] as Error).message, /^ERR value is not an integer/);
      });
    } finally {
      await client.close();
    }
    assert.equal(client.status, "end");
    await assert.rejects(client.call("PING"), ConnectionClosedError);
  },
);

Deno.test({ name: "AUTH with user and password, and SELECT", ignore }, async (t) => {
  await using server = await startRedis(120);
  {
    const admin = await open(server.url);
    await admin.call("ACL", "SETUSER", "al", "on", ">pw", "~*", "&*", "+@all");
    await admin.call("CONFIG", "SET", "requirepass", "s3cret");
    await admin.close();
  }
  const url = (auth: string, db = 0) =>
    server.url.replace("//", `//${auth}@`).replace(/\/0$/, `/${db}`);
  await t.step("password only, user and password, database 3", async () => {
    for (const [auth, user] of [[":s3cret", "default"], ["al:pw", "al"]]) {
      const client = await open(url(auth, 3));
      try {
        assert.equal(await client.call("ACL", "WHOAMI"), user);
        await client.call("SET", "here", "3");
      } finally {
        await client.close();
      }
    }
    const db0 = await open(url(":s3cret"));
    assert.equal(await db0.call("GET", "here"), null);
    await db0.call("SELECT", 3);
    assert.equal(await db0.call("GET", "here"), "3");
    await db0.close();
  });
  await t.step("a wrong password, a missing one, a missing database: connect rejects", async () => {
    for (
      const [u, msg] of [
        [url(":nope"), /^WRONGPASS/],
        [url(":s3cret", 99), /DB index is out of range/],
      ] as const
    ) {
      const client = new RedisClient(parseRedisUrl(u));
      await assert.rejects(client.connect(), (e) => e instanceof ReplyError && msg.test(e.message));
      assert.equal(client.status, "end");
      await client.close();
    }
    // Without a password nothing is sent while connecting: the first command is refused.
    const anonymous = await open(server.url);
    await assert.rejects(
      anonymous.call("GET", "k"),
      (e) => e instanceof ReplyError && /^NOAUTH/.test(e.message),
    );
    await anonymous.close();
  });
});

Deno.test({ name: "nothing listening: connect rejects with ECONNREFUSED", ignore }, async () => {
  await using server = await startRedis(120);
  await server.stop();
  const client = new RedisClient(parseRedisUrl(server.url), { retryDelay });
  await assert.rejects(
    client.connect(),
    (e) => (e as { code?: string }).code === "ECONNREFUSED",
  );
  await client.close();
});

Deno.test({ name: "a frozen server: commands time out, then work again", ignore }, async (t) => {
  await using server = await startRedis(120);
  const pid = await server.pid();
  const client = await open(server.url, { commandTimeoutMs: 500, retryDelay });
  let frozen = false;
  try {
    Deno.kill(pid, "SIGSTOP");
    frozen = true;
    await t.step("a command rejects with ETIMEDOUT", async () => {
      await assert.rejects(
        withDeadline(client.call("SET", "a", "1"), HANG_MS, "set"),
        (e) => e instanceof TimeoutError && e.code === "ETIMEDOUT",
      );
    });
    await t.step(
      "a new connection times out while connecting (its SELECT unanswered)",
      async () => {
        const address = { ...parseRedisUrl(server.url), db: 1 };
        const late = new RedisClient(address, { connectTimeoutMs: 300 });
        await assert.rejects(
          withDeadline(late.connect(), HANG_MS, "connect"),
          (e) => (e as { code?: string }).code === "ETIMEDOUT",
        );
        await late.close();
      },
    );
    Deno.kill(pid, "SIGCONT");
    frozen = false;
    await t.step("after SIGCONT, replies match their commands again", async () => {
      assert.equal(await client.call("ECHO", "back"), "back");
      assert.equal(await client.call("GET", "a"), "1"); // applied, though its answer came late
    });
  } finally {
    if (frozen) Deno.kill(pid, "SIGCONT");
    await client.close();
  }
});

Deno.test({ name: "a restart: commands wait through reconnects, or fail", ignore }, async (t) => {
  await using server = await startRedis(120);
  const errors: Error[] = [];
  let noticed = () => {};
  const loss = new Promise<void>((resolve) => noticed = resolve);
  let readies = 0;
  const client = await open(server.url, {
    commandTimeoutMs: 10_000,
    retryDelay,
    maxRetriesPerRequest: 3,
    onError: (e: Error) => {
      errors.push(e);
      noticed();
    },
    onReady: () => readies++,
  });
  try {
    await t.step("killed and restarted: a command issued meanwhile gets its answer", async () => {
      await client.call("SET", "x", "1");
      await server.stop(true);
      // The loss is noticed by the reader; a command sent then waits offline.
      await withDeadline(loss, HANG_MS, "the loss");
      assert.notEqual(client.status, "ready");
      const pending = client.call("ECHO", "again");
      await server.restart();
      assert.equal(await withDeadline(pending, HANG_MS, "echo"), "again");
      assert.equal(client.status, "ready");
      assert.equal(readies, 2);
      assert.ok(errors.length > 0);
    });
    await t.step("down for good: a command fails after its reconnects", async () => {
      await server.stop();
      await assert.rejects(
        withDeadline(client.call("PING"), HANG_MS, "ping"),
        (e) => e instanceof ConnectionClosedError || e instanceof MaxRetriesPerRequestError,
      );
      const err = await client.call("PING").then(() => null, (e) => e);
      assert.ok(err instanceof MaxRetriesPerRequestError, String(err));
      assert.equal((err.cause as { code?: string }).code, "ECONNREFUSED");
      // Closing while reconnecting stops the retries and leaves no timer behind.
    });
  } finally {
    await client.close();
  }
});

Deno.test(
  { name: "a client that does not reconnect ends with its connection", ignore },
  async () => {
    await using server = await startRedis(120);
    const client = await open(server.url);
    // Its failure is taken at once: it comes while the server is being stopped.
    const blocked = client.call("BLPOP", "nothing", 0).then(() => null, (e) => e);
    await server.stop(true);
    assert.ok((await withDeadline(blocked, HANG_MS, "blpop")) instanceof ConnectionClosedError);
    await withDeadline(client.ended, HANG_MS, "end");
    assert.equal(client.status, "end");
    await assert.rejects(client.call("PING"), ConnectionClosedError);
  },
);

Deno.test({ name: "close ends a blocked command at once", ignore }, async () => {
  await using server = await startRedis(120);
  const client = await open(server.url);
  const failure = (p: Promise<unknown>) => p.then(() => null, (e) => e);
  const blocked = failure(client.call("XREAD", "BLOCK", 0, "STREAMS", "s", "$"));
  const behind = failure(client.call("PING")); // queued behind the block: never answered
  const closing = client.close();
  assert.ok((await blocked) instanceof ConnectionClosedError);
  assert.ok((await behind) instanceof ConnectionClosedError);
  await closing;
  assert.equal(client.status, "end");
});

Deno.test("resp.js is the bundle of the version build_resp.ts names", async () => {
  const dir = new URL("../lib/store/redis/", import.meta.url);
  const script = await Deno.readTextFile(new URL("build_resp.ts", dir));
  const bundle = await Deno.readTextFile(new URL("resp.js", dir));
  const version = /const VERSION = "([^"]+)"/.exec(script)?.[1];
  assert.ok(version, "no VERSION in build_resp.ts");
  assert.ok(
    bundle.includes(`from npm:@redis/client@${version} `) &&
      bundle.includes(`@redis/client/${version}/dist/lib/RESP/decoder.js`),
    `resp.js is not @redis/client ${version}: run "deno task vendor-resp"`,
  );
});
