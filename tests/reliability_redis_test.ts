/**
 * Issue 13 point 4: a frozen Redis never hangs a call. A real redis-server is
 * stopped with SIGSTOP (its sockets stay open, nothing answers): every command
 * fails with the one-line "Cannot reach Redis" error, every blocking read ends by
 * its own deadline plus a margin, and after SIGCONT the same store works again.
 * The deadlines below only bound a hang; no duration is asserted.
 */
import { append } from "./harness/store_ops.ts";
import assert from "node:assert/strict";
import { InboxFullError, StoreError } from "../lib/errors.ts";
import type { AppendOp } from "../lib/store/port.ts";
import { openRedisStore } from "../lib/store/redis.ts";
import { runCli } from "./harness/cli.ts";
import { stdioAgent } from "./harness/mcp_server.ts";
import { skipRedis, startRedis } from "./harness/redis_server.ts";
import { closeRaw, rawClient } from "./harness/redis_raw.ts";
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
      await append(store, "m:q", { n: "1" });
      Deno.kill(pid, "SIGSTOP");
      frozen = true;

      await t.step("a command fails with one line", async () => {
        await assert.rejects(
          withDeadline(append(store, "m:q", { n: "2" }), HANG_MS, "append"),
          isNoAnswer,
        );
        await assert.rejects(withDeadline(store.get("m:k"), HANG_MS, "get"), isNoAnswer);
      });

      await t.step("a blocking consume or read fails by its deadline plus a margin", async () => {
        // Also on a store that must open a new connection to the frozen server.
        await assert.rejects(
          withDeadline(
            fresh.consume("g", ["m:q"], { blockMs: 1000, leaseMs: 60_000 }),
            HANG_MS,
            "consume on a new connection",
          ),
          isNoAnswer,
        );
        await assert.rejects(
          withDeadline(store.read({ "m:q": "$" }, { blockMs: 1000 }), HANG_MS, "read"),
          isNoAnswer,
        );
      });

      Deno.kill(pid, "SIGCONT");
      frozen = false;

      await t.step("after SIGCONT the same stores work again", async () => {
        const id = await withDeadline(append(store, "m:q", { n: "3" }), HANG_MS, "append");
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

Deno.test(
  { name: "the unread cap holds where Redis cannot tell a group's lag", ...OPTS },
  async () => {
    await using server = await startRedis();
    const store = await openRedisStore(server.url);
    const raw = await rawClient(server.url);
    try {
      const s = "m:to_bob";
      const op = (i: number, maxLen = 100): AppendOp => ({
        stream: s,
        fields: { i: String(i) },
        maxLen,
        keepUnread: { group: "g", maxUnread: 12 },
      });
      await store.ensureGroup(s, "g", "0");
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push(...await store.appendMany([op(i)]));
      const got = await store.consume("g", [s], { count: 5, leaseMs: 60_000 });
      await store.ack(s, "g", got[0].entries.map((e) => e.id));
      // Deleting an unread entry leaves a tombstone ahead of the group: its lag is unknown.
      await raw.xdel(s, ids[8]);
      const info = (await raw.call("XINFO", "GROUPS", s)) as unknown[][];
      const lag = info[0][info[0].indexOf("lag") + 1];
      assert.equal(lag, null, "Redis cannot tell the lag: the counting path runs");
      // 5 read, 6 unread: six more fit, the seventh is refused.
      for (let i = 12; i < 18; i++) await store.appendMany([op(i)]);
      await assert.rejects(
        () => store.appendMany([op(18)]),
        (err: Error) => err instanceof InboxFullError && err.unread === 12,
      );
      assert.equal(await store.length(s), 17);
      // All read: its owner's acknowledgement trims the read history to about maxLen.
      const rest = await store.consume("g", [s], { count: 100, leaseMs: 60_000 });
      await store.ack(s, "g", rest[0].entries.map((e) => e.id), { keepRead: 10 });
      await store.appendMany([op(19, 10)]);
      assert.ok((await store.length(s)) <= 12, `${await store.length(s)} entries left`);
    } finally {
      await closeRaw(raw);
      await store.close();
    }
  },
);

Deno.test(
  { name: "an MCP server on a frozen Redis answers every call, then recovers", ...OPTS },
  async () => {
    await using server = await startRedis();
    const pid = await server.pid();
    const home = await Deno.makeTempDir({ prefix: "agent-mesh-rel-" });
    const env = {
      AGENT_MESH_REDIS_URL: server.url,
      AGENT_MESH_HOME: home,
      AGENT_MESH_TOKEN: "",
      AGENT_MESH_AGENT: "",
    };
    let frozen = false;
    try {
      await using agent = await stdioAgent(env);
      assert.equal((await agent.call("mesh_send", { to: "bob", message: "before" })).ok, true);
      Deno.kill(pid, "SIGSTOP");
      frozen = true;
      for (
        const [tool, args] of [
          ["mesh_listen", { name: "bob", timeout_s: 2 }],
          ["mesh_who", {}],
        ] as const
      ) {
        const result = await withDeadline(agent.raw(tool, args), HANG_MS, tool);
        assert.equal(result.isError, true, tool);
        const text = (result.content as { type: string; text: string }[])[0].text;
        assert.match(text, /^Cannot reach Redis at .* \(no answer in time\): /, tool);
      }
      Deno.kill(pid, "SIGCONT");
      frozen = false;
      const got = await withDeadline(
        agent.call("mesh_listen", { name: "bob", timeout_s: 10 }),
        HANG_MS,
        "mesh_listen after SIGCONT",
      );
      assert.equal((got.message as { text: string }).text, "before");
    } finally {
      if (frozen) Deno.kill(pid, "SIGCONT");
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
);
