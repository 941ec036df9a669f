/** Every subcommand end to end, through real processes, on both engines. */
import assert from "node:assert/strict";
import { openMesh } from "./harness/cli.ts";
import { untilListening } from "./harness/listening.ts";
import { engines } from "./harness/store_engines.ts";

for (const engine of engines()) {
  Deno.test({
    name: `${engine.name}: every subcommand end to end`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn(t) {
      await using m = await openMesh(engine);
      const p = m.opened.prefix;
      const store = m.opened.store;

      await t.step("send writes the original's fields to the inbox and the group", async () => {
        const r = await m.cli("send", "bob", "hi bob", "--from", "alice", "--json");
        assert.equal(r.code, 0, r.stderr);
        const sent = JSON.parse(r.stdout);
        assert.equal(sent.ok, true);
        const [inbox] = await store.range(`${p}:to_bob`);
        assert.deepEqual(Object.keys(inbox.fields).sort(), ["from", "id", "msg", "ts"]);
        assert.equal(inbox.fields.id, sent.id);
        assert.match(inbox.fields.id, /^[0-9a-f-]{36}$/);
        assert.match(inbox.fields.ts, /^\d+(\.\d+)?$/);
        const [group] = await store.range(`${p}:group`);
        assert.deepEqual(group.fields, { ...inbox.fields, to: "bob" });
        const [audit] = await store.range(`${p}:gate:audit`);
        assert.equal(audit.fields.verdict, "allow");
        assert.equal(audit.fields.window, "10");
        assert.equal(audit.fields.rate, "1");
      });

      await t.step(
        "send --expect-reply adds expect_reply and deadline, the sender from AGENT_MESH_AGENT",
        async () => {
          const r = await m.cliEnv(
            { AGENT_MESH_AGENT: "zed" },
            "send",
            "bob",
            "answer me",
            "-e",
            "--within",
            "30",
            "-p",
          );
          assert.equal(r.code, 0, r.stderr);
          assert.equal(r.stdout, "sent to bob\n");
          const last = (await store.revRange(`${p}:to_bob`, 1))[0];
          assert.equal(last.fields.from, "zed");
          assert.equal(last.fields.expect_reply, "1");
          assert.ok(Number(last.fields.deadline) - Number(last.fields.ts) > 29);
          assert.equal(await store.length(`${p}:group`), 1, "private: no group echo");
          const pending = JSON.parse((await m.cli("pending", "zed", "--json")).stdout);
          assert.equal(pending.entries.length, 1);
          assert.equal(pending.entries[0].peer, "bob");
          assert.equal(pending.entries[0].msg_id, last.fields.id);
        },
      );

      await t.step("listen --json takes messages in order, then times out with null", async () => {
        let r = await m.cli("listen", "bob", "--json", "--timeout", "5");
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(
          { ...JSON.parse(r.stdout).message, id: undefined, ts: undefined },
          { from: "alice", text: "hi bob", id: undefined, ts: undefined },
        );
        r = await m.cli("listen", "bob", "--json", "--timeout", "5");
        assert.equal(JSON.parse(r.stdout).message.text, "answer me");
        r = await m.cli("listen", "bob", "--json", "--timeout", "0.3");
        assert.equal(r.code, 0);
        assert.deepEqual(JSON.parse(r.stdout), { message: null, group: [] });
        const log = await Deno.readTextFile(`${m.home}/notify-bob.log`);
        assert.equal(log, "📨 alice: hi bob\n📨 zed: answer me\n");
      });

      await t.step("listen shows group messages from others, not its own echoes", async () => {
        await m.cli("listen", "carol", "--timeout", "0"); // carol's group position starts now
        await m.cli("send", "dave", "to dave", "--from", "carol"); // own echo: not shown
        await m.cli("broadcast", "all hands", "--from", "alice");
        await m.cli("send", "carol", "line1\nline2", "--from", "erin");
        const r = await m.cli("listen", "carol", "--timeout", "5");
        assert.equal(r.code, 0, r.stderr);
        assert.equal(
          r.stdout,
          "[GROUP alice → *] all hands\n[DIRECT from erin] line1\n  | line2\n",
        );
        assert.equal(
          await Deno.readTextFile(`${m.home}/notify-carol.log`),
          "📨 erin: line1 line2\n",
        );
      });

      await t.step("listen --stealth prints nothing but takes the message", async () => {
        await m.cli("send", "frank", "psst", "--from", "alice", "-p");
        let r = await m.cli("listen", "frank", "--stealth", "--timeout", "5");
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "");
        r = await m.cli("listen", "frank", "--json", "--timeout", "0.2");
        assert.equal(JSON.parse(r.stdout).message, null);
      });

      await t.step("a request shows how to answer it; reply and request --json", async () => {
        const req = m.spawn([
          "request",
          "gina",
          "2+2?",
          "--from",
          "hal",
          "--json",
          "--timeout",
          "30",
        ]);
        const r = await m.cli("listen", "gina", "--timeout", "20");
        assert.equal(r.code, 0, r.stderr);
        const [line, hint] = r.stdout.trimEnd().split("\n");
        assert.equal(line, "[DIRECT from hal] 2+2?");
        const key = hint.match(/agent-mesh reply (\S+) "YOUR ANSWER" --from gina$/)![1];
        const ok = await m.cli("reply", key, "4", "--from", "gina");
        assert.equal(ok.code, 0, ok.stderr);
        const done = await req.done();
        assert.equal(done.code, 0, done.stderr);
        // The same document as MCP's mesh_request: reply is the text, as the original's.
        const doc = JSON.parse(done.stdout);
        assert.deepEqual([doc.reply, doc.reply_from, doc.unexpected_author], ["4", "gina", false]);
      });

      await t.step("request and ping time out with exit 1", async () => {
        // "nobody" is unknown: a warning, then the timeout, each one line on stderr.
        let r = await m.cli("request", "nobody", "hello?", "--from", "hal", "--timeout", "0.3");
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^agent-mesh: Warning: "nobody" is not registered[^\n]*\n/);
        assert.match(r.stderr, /\ntimeout: no reply received\n$/);
        r = await m.cli("ping", "nobody", "--timeout", "0.3");
        assert.equal(r.code, 1);
        assert.equal(r.stderr, "timeout: no pong from nobody within 0.3s\n", "it has an inbox now");
        r = await m.cli("ping", "nobody", "--timeout", "0.3", "--json");
        assert.equal(r.code, 1);
        assert.deepEqual(JSON.parse(r.stdout), { ok: false });
      });

      await t.step("ping is answered by a listen, without ending it", async () => {
        const listen = m.spawn(["listen", "ivy", "--timeout", "30"]);
        await untilListening(m.env, "ivy", "listen"); // blocked in its read by now
        const r = await m.cli("ping", "ivy", "--from", "jay", "--json", "--timeout", "10");
        assert.equal(r.code, 0, r.stderr);
        const pong = JSON.parse(r.stdout);
        assert.equal(pong.ok, true);
        assert.equal(pong.from, "ivy");
        assert.ok(pong.latency_ms >= 0);
        await m.cli("send", "ivy", "still here?", "--from", "jay");
        assert.equal((await listen.done()).stdout, "[DIRECT from jay] still here?\n");
      });

      await t.step(
        "ack clears the sender's ledger for the peer and sends ACK privately",
        async () => {
          await m.cli("send", "kim", "q1", "--from", "lee", "-e");
          await m.cli("send", "kim", "q2", "--from", "lee", "-e");
          await m.cli("send", "max", "q3", "--from", "lee", "-e");
          const groupBefore = await store.length(`${p}:group`);
          const r = await m.cli("ack", "kim", "thanks", "--from", "lee");
          assert.equal(r.code, 0, r.stderr);
          assert.equal(r.stdout, "ACK sent to kim (2 pending cleared)\n");
          const left = JSON.parse((await m.cli("pending", "lee", "--json")).stdout).entries;
          assert.deepEqual(left.map((e: { peer: string }) => e.peer), ["max"]);
          const last = (await store.revRange(`${p}:to_kim`, 1))[0];
          assert.equal(last.fields.msg, "ACK: thanks");
          assert.equal(await store.length(`${p}:group`), groupBefore, "ACK is private");
        },
      );

      await t.step("register, who (--json, --all), deregister", async () => {
        let r = await m.cli("register", "nia", "--role", "reviewer");
        assert.equal(r.stdout, "registered nia (reviewer)\n");
        const raw = JSON.parse((await store.get(`${p}:registry:nia`))!);
        assert.deepEqual(Object.keys(raw).sort(), ["agent", "pid", "role", "ts"]);
        assert.equal(raw.agent, "nia");
        r = await m.cli("who", "--json");
        assert.deepEqual(JSON.parse(r.stdout).agents.map((a: { agent: string }) => a.agent), [
          "nia",
        ]);
        r = await m.cli("who", "--all", "--json");
        const all = JSON.parse(r.stdout).agents;
        assert.ok(
          all.some((a: { agent: string; online: boolean }) => a.agent === "bob" && !a.online),
        );
        r = await m.cli("deregister", "nia");
        assert.equal(r.stdout, "deregistered nia\n");
        r = await m.cli("deregister", "nia");
        assert.equal(r.stdout, "nia was not registered\n");
        r = await m.cli("who");
        assert.equal(r.stdout, "no agents registered\n");
      });

      await t.step("broadcast goes to the group stream only", async () => {
        const before = await store.length(`${p}:to_omar`);
        const r = await m.cli("broadcast", "hello all", "--from", "omar", "--json");
        assert.equal(r.code, 0, r.stderr);
        const last = (await store.revRange(`${p}:group`, 1))[0];
        assert.equal(last.fields.msg, "hello all");
        assert.equal(last.fields.to, "*");
        assert.equal(await store.length(`${p}:to_omar`), before);
      });

      await t.step("monitor registers, answers pings, and deregisters on SIGTERM", async () => {
        const mon = m.spawn(["monitor", "pat"]);
        await mon.waitFor(/^monitoring pat/);
        const who = JSON.parse((await m.cli("who", "--json")).stdout).agents;
        assert.ok(who.some((a: { agent: string }) => a.agent === "pat"));
        const r = await m.cli("ping", "pat", "--timeout", "10");
        assert.equal(r.code, 0, r.stderr);
        mon.kill("SIGTERM");
        assert.equal((await mon.done()).code, 130, "interrupted");
        assert.equal(await store.get(`${p}:registry:pat`), null);
      });
    },
  });
}
