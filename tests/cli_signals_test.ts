/**
 * Honest exits: Ctrl-C or SIGTERM during a wait exits 130 and claims nothing
 * false; a timeout says so in one line; a long wait says what it waits for when
 * stderr is a terminal. Real signals to real processes, ordered by the lines they print.
 */
import assert from "node:assert/strict";
import { openMesh } from "./harness/cli.ts";
import { engines } from "./harness/store_engines.ts";
import { hasScript, ptyCli } from "./cli_pty.ts";

const noScript = !hasScript();
if (noScript) {
  console.warn(
    "cli_signals_test: `script` (util-linux) is missing: the terminal tests are SKIPPED",
  );
}

for (const engine of engines()) {
  const opts = { ignore: engine.ignore || noScript, ...engine.testOptions };

  for (
    const [name, args, waiting] of [
      ["listen", ["listen", "bob", "--timeout", "60"], /^waiting up to 60s for a message to bob/],
      [
        "request",
        ["request", "bob", "q?", "--from", "al", "--timeout", "60"],
        /^waiting up to 60s for a reply from bob/,
      ],
      ["ping", ["ping", "bob", "--timeout", "60"], /^waiting up to 60s for a pong from bob/],
    ] as const
  ) {
    Deno.test({
      name: `${engine.name}: Ctrl-C and SIGTERM during ${name} exit 130 and claim no timeout`,
      ...opts,
      async fn() {
        await using m = await openMesh(engine);
        await m.cli("register", "bob"); // no warning about an unknown target on the way
        for (const how of ["Ctrl-C", "SIGTERM"]) {
          await using p = ptyCli(m.env, [...args]);
          await p.waitFor(waiting);
          if (how === "Ctrl-C") await p.ctrlC();
          else p.signal("SIGTERM");
          assert.equal(await p.done(), 130, `${how}: ${p.screen()}`);
          const by = how === "Ctrl-C" ? "SIGINT" : "SIGTERM";
          assert.match(p.screen(), new RegExp(`^agent-mesh: Interrupted by ${by}$`, "m"));
          assert.doesNotMatch(p.screen(), /timeout|^pong from|\[DIRECT/im);
        }
        // With --json, the interruption is a JSON document too.
        await using p = ptyCli(m.env, [...args, "--json"]);
        await p.waitFor(waiting);
        await p.ctrlC();
        assert.equal(await p.done(), 130);
        const doc = p.screen().split("\n").find((l) => l.startsWith("{"));
        assert.deepEqual(JSON.parse(doc!), {
          ok: false,
          error: { code: "interrupted", message: "Interrupted by SIGINT" },
        });
      },
    });
  }

  Deno.test({
    name:
      `${engine.name}: a listen interrupted after taking nothing leaves the next message in place`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      await using p = ptyCli(m.env, ["listen", "carl", "--timeout", "60"]);
      await p.waitFor(/^waiting up to 60s for a message to carl/);
      await p.ctrlC();
      assert.equal(await p.done(), 130);
      await m.cli("send", "carl", "still here", "--from", "al");
      const r = await m.cli("listen", "carl", "--timeout", "10");
      assert.equal(r.stdout, "[DIRECT from al] still here\n");
    },
  });

  Deno.test({
    name: `${engine.name}: SIGINT and SIGTERM stop a monitor with 130, deregistered`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using m = await openMesh(engine);
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        const mon = m.spawn(["monitor", "mo"]);
        await mon.waitFor(/^monitoring mo /);
        mon.kill(signal);
        const r = await mon.done();
        assert.equal(r.code, 130, r.stderr);
        assert.equal(r.stderr.split("\n").at(-2), `agent-mesh: Interrupted by ${signal}`);
        assert.equal(r.stdout, "");
        assert.equal(await m.opened.store.get(`${m.opened.prefix}:registry:mo`), null);
      }
    },
  });
}

Deno.test("a timeout is one line on stderr; the waiting line shows only on a terminal", async () => {
  const [embedded] = engines();
  await using m = await openMesh(embedded);
  await m.cli("register", "bob");
  let r = await m.cli("listen", "bob", "--timeout", "0.2");
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, "timeout: no message for bob within 0.2s\n");
  r = await m.cli("listen", "bob", "--timeout", "0.2", "--stealth");
  assert.equal(r.stderr, "", "--stealth prints nothing");
  r = await m.cli("ping", "bob", "--timeout", "0.2");
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "timeout: no pong from bob within 0.2s\n");
  r = await m.cli("request", "bob", "q?", "--from", "al", "--timeout", "0.2");
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "timeout: no reply received\n");
  if (noScript) return;
  await m.cli("register", "bea");
  await using p = ptyCli(m.env, ["listen", "bea", "--timeout", "0.2"]);
  assert.equal(await p.done(), 0);
  assert.equal(
    p.screen(),
    "waiting up to 0.2s for a message to bea (Ctrl-C stops)\ntimeout: no message for bea within 0.2s\n",
  );
});
