/**
 * Issue 13 point 4: a frozen Redis never hangs a call. A real redis-server is
 * stopped with SIGSTOP (its sockets stay open, nothing answers): every command
 * fails with the one-line "Cannot reach Redis" error, every blocking read ends by
 * its own deadline plus a margin, and after SIGCONT the same store works again.
 * The deadlines below only bound a hang; no duration is asserted.
 */
import assert from "node:assert/strict";
import { StoreError } from "../lib/errors.ts";
import { openRedisStore } from "../lib/store/redis.ts";
import { runCli } from "./harness/cli.ts";
import { skipRedis, startRedis } from "./harness/redis_server.ts";
import { withDeadline } from "./harness/timing.ts";

const ignore = skipRedis();
const OPTS = { ignore, sanitizeOps: false, sanitizeResources: false };
/** Far beyond every timeout of the engine (5 s per command, block time + 2 s): a hang fails. */
const HANG_MS = 30_000;
const NO_ANSWER = /^Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/0 \(no answer in time\): /;

function isNoAnswer(err: unknown): boolean {
  return err instanceof StoreError && NO_ANSWER.test(err.message) && !err.message.includes("\n");
}

Deno.test(
  { name: "a frozen Redis fails calls in time, and the store recovers", ...OPTS },
  async (t) => {
    await using server = await startRedis();
    const pid = await server.pid();
    const store = await openRedisStore(server.url);
    // A second store that has never run a blocking read: it has no pooled connection
    // yet, so its blocking reads must open one to the frozen server.
    const fresh = await openRedisStore(server.url);
    let frozen = false;
    try {
      await store.ensureGroup("m:q", "g", "0");
      await store.append("m:q", { n: "1" });
      Deno.kill(pid, "SIGSTOP");
      frozen = true;

      await t.step("a command fails with one line", async () => {
        await assert.rejects(
          withDeadline(store.append("m:q", { n: "2" }), HANG_MS, "append"),
          isNoAnswer,
        );
        await assert.rejects(withDeadline(store.get("m:k"), HANG_MS, "get"), isNoAnswer);
      });

      await t.step("a blocking consume ends by its deadline", async () => {
        const got = await withDeadline(
          fresh.consume("g", ["m:q"], { blockMs: 1000, leaseMs: 60_000 }),
          HANG_MS,
          "consume on a new connection",
        );
        assert.deepEqual(got, []);
        const read = await withDeadline(
          store.read({ "m:q": "$" }, { blockMs: 1000 }),
          HANG_MS,
          "read",
        );
        assert.deepEqual(read, []);
      });

      Deno.kill(pid, "SIGCONT");
      frozen = false;

      await t.step("after SIGCONT the same stores work again", async () => {
        const id = await withDeadline(store.append("m:q", { n: "3" }), HANG_MS, "append");
        const got = await withDeadline(
          fresh.consume("g", ["m:q"], { blockMs: 5000, leaseMs: 60_000 }),
          HANG_MS,
          "consume",
        );
        const ns = got.flatMap((b) => b.entries.map((e) => e.fields.n));
        // "2" may or may not have been applied: its answer never came.
        assert.ok(ns.includes("1") && ns.includes("3"), `got ${ns}`);
        assert.ok(got[0].entries.some((e) => e.id === id));
      });
    } finally {
      if (frozen) Deno.kill(pid, "SIGCONT");
      await store.close();
      await fresh.close();
    }
  },
);

Deno.test({ name: "CLI calls against a frozen Redis exit 1 with one line", ...OPTS }, async () => {
  await using server = await startRedis();
  const pid = await server.pid();
  const env = { AGENT_MESH_REDIS_URL: server.url, AGENT_MESH_HOME: server.dir };
  Deno.kill(pid, "SIGSTOP");
  try {
    for (const args of [["send", "bob", "hi"], ["listen", "bob", "--timeout", "2"]]) {
      const r = await withDeadline(runCli(env, args), HANG_MS, args[0]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^agent-mesh: Cannot reach Redis at .* \(no answer in time\): .*\n$/);
    }
  } finally {
    Deno.kill(pid, "SIGCONT");
  }
});
