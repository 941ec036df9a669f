/**
 * The "CLI usage" sequence of the original README, run verbatim on both engines,
 * with the background processes a user would have running beside it.
 */
import assert from "node:assert/strict";
import { openMesh } from "./harness/cli.ts";
import { engines } from "./harness/store_engines.ts";

for (const engine of engines()) {
  Deno.test({
    name: `${engine.name}: the seed README's CLI usage works verbatim`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using m = await openMesh(engine);
      // cortex has a monitor running, as in a real setup, so pings and requests are answered.
      const cortex = m.spawn(["monitor", "cortex"]);
      await cortex.waitFor(/^monitoring cortex/);

      // # Send a message (appears on group stream + private stream of target)
      let r = await m.cli("send", "cortex", "hello from watchdog", "--from", "watchdog");
      assert.equal(r.code, 0, r.stderr);
      await cortex.waitFor(/^\d\d:\d\d:\d\d \[DIRECT from watchdog\] hello from watchdog$/);
      // # Send privately (only private stream of target, no group echo)
      r = await m.cli("send", "cortex", "private note", "--from", "watchdog", "--private");
      assert.equal(r.code, 0, r.stderr);
      await cortex.waitFor(/^\d\d:\d\d:\d\d \[DIRECT from watchdog\] private note$/);
      const group = await m.opened.store.range(`${m.opened.prefix}:group`);
      assert.deepEqual(group.map((e) => e.fields.msg), ["hello from watchdog"]);
      assert.equal(group[0].fields.to, "cortex");
      // # Send and track reply expectation in pending ledger
      r = await m.cli(
        "send",
        "cortex",
        "please respond",
        "--from",
        "watchdog",
        "--expect-reply",
        "--within",
        "120",
      );
      assert.equal(r.code, 0, r.stderr);
      await cortex.waitFor(/^\d\d:\d\d:\d\d \[DIRECT from watchdog\] please respond$/);

      // # Listen (blocks up to --timeout seconds, default 60, returns on first DIRECT message)
      const listen = m.spawn(["listen", "watchdog", "--timeout", "30"]);
      // (a third agent writes to watchdog while it listens)
      await m.cli("send", "watchdog", "status?", "--from", "oracle", "--private");
      const heard = await listen.done();
      assert.equal(heard.code, 0, heard.stderr);
      assert.equal(heard.stdout.trim(), "[DIRECT from oracle] status?");

      // # Persistent monitor daemon (singleton via flock)
      const monitor = m.spawn(["monitor", "watchdog"]);
      await monitor.waitFor(/^monitoring watchdog/);
      r = await m.cli("monitor", "watchdog");
      assert.equal(r.code, 0);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `monitor already running for watchdog (pid ${monitor.child.pid})\n`);
      monitor.kill("SIGTERM");
      assert.equal((await monitor.done()).code, 130);

      // # Ping
      r = await m.cli("ping", "cortex", "--from", "watchdog");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^pong from cortex in [\d.]+ms\n$/);

      // # Request/reply roundtrip
      const request = m.spawn(["request", "cortex", "what time is it?", "--from", "watchdog"]);
      const hint = await cortex.waitFor(/agent-mesh reply \S+/);
      const key = hint.match(/agent-mesh reply (\S+)/)![1];
      assert.match(key, new RegExp(`^${m.opened.prefix}:reply:[0-9a-f]{32}$`));
      // # (on cortex side) agent-mesh reply mesh:reply:<nonce> "it is noon" --from cortex
      r = await m.cli("reply", key, "it is noon", "--from", "cortex");
      assert.equal(r.code, 0, r.stderr);
      const answered = await request.done();
      assert.equal(answered.code, 0, answered.stderr);
      assert.equal(answered.stdout, "it is noon\n");

      // # Registry
      r = await m.cli("register", "cortex", "--role", "main implementer");
      assert.equal(r.code, 0, r.stderr);
      r = await m.cli("who");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^NAME\s+LISTENING\s+PID\s+SEEN\s+ROLE\n/);
      assert.match(r.stdout, /^cortex\s+monitor\s+\d+\s+\d+s ago\s+main implementer$/m);

      // # Pending ledger
      r = await m.cli("pending", "watchdog");
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /^-> cortex {2}due in \d+s {2}tries 0 {2}"please respond" {2}id [0-9a-f-]{36}$/m,
      );

      cortex.kill("SIGTERM");
      assert.equal((await cortex.done()).code, 130);
    },
  });
}
