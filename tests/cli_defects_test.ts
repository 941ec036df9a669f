/**
 * The original's defects (WIRE.md), each with a test that its behaviour fails:
 * replies to arbitrary keys, rendezvous keys left behind, a ledger without a lock,
 * listeners of one name that lose or repeat messages, and loss on a crash.
 */
import assert from "node:assert/strict";
import { openMesh } from "./harness/cli.ts";
import { untilHeartbeats } from "./harness/listening.ts";
import { engines } from "./harness/store_engines.ts";

for (const engine of engines()) {
  const opts = { ignore: engine.ignore, ...engine.testOptions };

  Deno.test({
    name: `${engine.name}: reply accepts only a reply rendezvous key of the configured prefix`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      const p = m.opened.prefix;
      await m.cli("send", "bob", "x", "--from", "alice");
      const before = (await m.opened.store.scan(p)).sort();
      for (
        const key of [
          `${p}:to_bob`,
          `${p}:group`,
          `${p}:reply:../../etc`,
          `${p}:reply:${"a".repeat(31)}`,
          `other:reply:${"a".repeat(32)}`,
          `${p}:reply:${"A".repeat(32)}`,
        ]
      ) {
        const r = await m.cli("reply", key, "gotcha", "--from", "eve");
        assert.equal(r.code, 2, `${key}: ${r.stderr}`);
        assert.match(r.stderr, /^agent-mesh: Invalid reply key .*\n$/);
      }
      assert.deepEqual((await m.opened.store.scan(p)).sort(), before, "nothing written");
      assert.equal(await m.opened.store.length(`${p}:to_bob`), 1);
      const good = await m.cli("reply", `${p}:reply:${"ab".repeat(16)}`, "fine", "--from", "eve");
      assert.equal(good.code, 0, good.stderr);
    },
  });

  Deno.test({
    name: `${engine.name}: ping and request leave no rendezvous streams behind`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      const p = m.opened.prefix;
      const mon = m.spawn(["monitor", "bob"]);
      await mon.waitFor(/^monitoring bob/);
      assert.equal((await m.cli("ping", "bob", "--timeout", "10")).code, 0);
      const req = m.spawn(["request", "bob", "q?", "--from", "alice"]);
      const key = (await mon.waitFor(/agent-mesh reply \S+/)).match(/reply (\S+)/)![1];
      assert.equal((await m.cli("reply", key, "a", "--from", "bob")).code, 0);
      assert.equal((await req.done()).stdout, "a\n");
      assert.deepEqual(await m.opened.store.scan(`${p}:pong:`), []);
      assert.deepEqual(await m.opened.store.scan(`${p}:reply:`), []);
    },
  });

  Deno.test({
    name: `${engine.name}: 8 concurrent send --expect-reply keep all 8 ledger entries`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      const results = await Promise.all(
        Array.from(
          { length: 8 },
          (_, i) => m.cli("send", `peer${i}`, `m${i}`, "--from", "boss", "-e"),
        ),
      );
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const { entries } = JSON.parse((await m.cli("pending", "boss", "--json")).stdout);
      assert.deepEqual(
        entries.map((e: { peer: string }) => e.peer).sort(),
        Array.from({ length: 8 }, (_, i) => `peer${i}`),
      );
    },
  });

  Deno.test({
    name:
      `${engine.name}: two listeners of one name never both show a DIRECT message, nor lose one`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      // Round 1: messages already waiting, two listeners start at once.
      for (const t of ["m1", "m2", "m3"]) await m.cli("send", "bob", t, "--from", "alice");
      let got = await Promise.all([
        m.cli("listen", "bob", "--json", "--timeout", "10"),
        m.cli("listen", "bob", "--json", "--timeout", "10"),
      ]);
      const texts = got.map((r) => JSON.parse(r.stdout).message.text).sort();
      assert.deepEqual(texts, ["m1", "m2"]);
      const third = await m.cli("listen", "bob", "--json", "--timeout", "10");
      assert.equal(JSON.parse(third.stdout).message.text, "m3", "the third is not lost");
      // Round 2: two listeners already blocked when messages arrive.
      for (let round = 0; round < 3; round++) {
        // Each listener writes bob's heartbeat just before its blocking read: wait for
        // a's, then start b and wait for b's. Were one not blocked yet, it would find the
        // message at once: the assertions hold either way.
        const a = m.spawn(["listen", "bob", "--json", "--timeout", "20"]);
        await untilHeartbeats(m.env, ["bob"], ([h]) => h?.pid === a.child.pid, "a listens");
        const b = m.spawn(["listen", "bob", "--json", "--timeout", "20"]);
        await untilHeartbeats(m.env, ["bob"], ([h]) => h?.pid === b.child.pid, "b listens");
        await m.cli("send", "bob", `r${round}a`, "--from", "alice");
        await m.cli("send", "bob", `r${round}b`, "--from", "alice");
        got = await Promise.all([a.done(), b.done()]);
        assert.deepEqual(
          got.map((r) => JSON.parse(r.stdout).message.text).sort(),
          [`r${round}a`, `r${round}b`],
        );
      }
      const empty = await m.cli("listen", "bob", "--json", "--timeout", "0.3");
      assert.equal(JSON.parse(empty.stdout).message, null, "nothing shown twice");
    },
  });

  Deno.test({
    name: `${engine.name}: a listener killed after taking a message hands it to the next one`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      const sent = JSON.parse((await m.cli("send", "bob", "survive me", "--json")).stdout);
      const doomed = m.spawn(["listen", "bob", "--json", "--timeout", "20"], {
        AGENT_MESH_FAULT: "after-take",
      });
      await doomed.waitFor(/^agent-mesh fault: after-take$/);
      doomed.kill("SIGKILL");
      const killed = await doomed.done();
      assert.equal(killed.stdout, "", "the message was not shown");
      const next = await m.cliEnv(
        { AGENT_MESH_LEASE_S: "1" },
        "listen",
        "bob",
        "--json",
        "--timeout",
        "20",
      );
      assert.equal(next.code, 0, next.stderr);
      const { message } = JSON.parse(next.stdout);
      assert.equal(message.id, sent.id);
      assert.equal(message.text, "survive me");
      const again = await m.cliEnv(
        { AGENT_MESH_LEASE_S: "1" },
        "listen",
        "bob",
        "--json",
        "--timeout",
        "1.5",
      );
      assert.equal(JSON.parse(again.stdout).message, null, "and only once");
    },
  });
}
