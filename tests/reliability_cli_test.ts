/**
 * Issue 13 points 2, 7 and 8, through real CLI subprocesses: a notify log that
 * cannot be written never blocks delivery; bad input is refused before anything
 * is written; every numeric setting is refused outside its documented bounds.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { NUMERIC_SETTINGS } from "../lib/config.ts";
import { MAIN, openMesh, runCli } from "./harness/cli.ts";
import { engines } from "./harness/store_engines.ts";

const WARNING =
  /^agent-mesh: cannot write the notify log ".*notify-bob\.log", delivering without it: /;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

for (const engine of engines()) {
  const opts = { ignore: engine.ignore, ...engine.testOptions };

  Deno.test({
    name: `${engine.name}: listen delivers and acknowledges when the notify log cannot be written`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      // Tests run as root, where chmod stops nothing: a directory cannot be appended to.
      await Deno.mkdir(join(m.home, "notify-bob.log"));
      assert.equal((await m.cli("send", "bob", "hello", "--from", "alice")).code, 0);
      const first = await m.cli("listen", "bob", "--timeout", "10");
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /hello/);
      assert.match(first.stderr, WARNING);
      assert.equal(first.stderr.trim().split("\n").length, 1, first.stderr);
      // Acknowledged: a second listen does not show it again.
      const second = await m.cli("listen", "bob", "--timeout", "1");
      assert.doesNotMatch(second.stdout, /hello/);
    },
  });

  Deno.test({
    name: `${engine.name}: monitor keeps delivering when the notify log cannot be written`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      await Deno.mkdir(join(m.home, "notify-bob.log"));
      assert.equal((await m.cli("send", "bob", "queued", "--from", "alice")).code, 0);
      const mon = m.spawn(["monitor", "bob"]);
      await mon.waitFor(/queued/);
      assert.equal((await m.cli("send", "bob", "later", "--from", "alice")).code, 0);
      await mon.waitFor(/later/);
      assert.equal(mon.stderr.filter((l) => WARNING.test(l)).length, 1, mon.stderr.join("\n"));
      mon.kill("SIGTERM");
      assert.equal((await mon.done()).code, 130, "stopped by a signal: interrupted");
    },
  });

  Deno.test({
    name: `${engine.name}: ack with an oversized text keeps the ledger and sends nothing`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      const env = { AGENT_MESH_MAX_BYTES: "100" };
      const sent = await m.cliEnv(env, "send", "bob", "q", "--expect-reply", "--from", "alice");
      assert.equal(sent.code, 0, sent.stderr);
      const ledger = join(m.home, "pending-alice.jsonl");
      const before = await Deno.readTextFile(ledger);
      const inbox = `${m.opened.prefix}:to_bob`;
      const r = await m.cliEnv(env, "ack", "bob", "x".repeat(98), "--from", "alice");
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^agent-mesh: The message is 103 bytes, over the limit of 100 .*\n$/);
      assert.equal(await Deno.readTextFile(ledger), before, "ledger untouched");
      assert.equal(await m.opened.store.length(inbox), 1, "no ACK sent");
    },
  });

  Deno.test({
    name: `${engine.name}: send --expect-reply with an unusable home delivers nothing`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      // A home that is a file: no ledger can be written there.
      const file = join(m.home, "not-a-folder");
      await Deno.writeTextFile(file, "");
      const r = await m.cliEnv(
        { AGENT_MESH_HOME: file },
        "send",
        "bob",
        "q",
        "--expect-reply",
        "--from",
        "alice",
      );
      assert.equal(r.code, 1, r.stderr);
      // (After the warning that bob is not known yet.)
      assert.match(r.stderr, /\nagent-mesh: Cannot update the pending ledger ".*": .*\n$/);
      assert.equal(await m.opened.store.length(`${m.opened.prefix}:to_bob`), 0, "not delivered");
      assert.equal(await m.opened.store.length(`${m.opened.prefix}:group`), 0);
    },
  });
}

Deno.test("register with a 201-character role creates no database", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agent-mesh-rel-" });
  try {
    const db = join(dir, "mesh.db");
    const env = { AGENT_MESH_HOME: dir, AGENT_MESH_DB: db, AGENT_MESH_REDIS_URL: "" };
    const r = await runCli(env, ["register", "bob", "--role", "r".repeat(201)]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^agent-mesh: Invalid --role: use text of at most 200 characters/);
    assert.equal(await exists(db), false, "no database created");
    assert.equal((await runCli(env, ["register", "bob", "--role", "r".repeat(200)])).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every numeric setting is refused outside its bounds, with one line, writing nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agent-mesh-rel-" });
  try {
    const db = join(dir, "mesh.db");
    const base = { AGENT_MESH_HOME: dir, AGENT_MESH_DB: db, AGENT_MESH_REDIS_URL: "" };
    const bad: Array<[string, string]> = [
      ["AGENT_MESH_LEASE_S", "0.0001"],
      ["AGENT_MESH_LEASE_S", "1e308"],
      ["AGENT_MESH_LEASE_S", "7200"],
      ["AGENT_MESH_GATE_LIMIT", "0"],
      ["AGENT_MESH_GATE_LIMIT", "1000001"],
      ["AGENT_MESH_MAX_BYTES", "99999999"],
      ["AGENT_MESH_MAX_UNREAD", "5"],
      ["AGENT_MESH_MAX_UNREAD", "1.5"],
      ["AGENT_MESH_HISTORY", "-1"],
      ["AGENT_MESH_HISTORY", "9e9"],
    ];
    for (const [name, value] of bad) {
      const r = await runCli({ ...base, [name]: value }, ["send", "bob", "hi", "--from", "a"]);
      assert.equal(r.code, 2, `${name}=${value}: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(
          `^agent-mesh: Invalid ${name} "${value}": expected a (whole )?number from \\S+ to \\S+.*\\n$`,
        ),
      );
      assert.equal(await exists(db), false, `${name}=${value} wrote nothing`);
    }
    // The bounds themselves are accepted.
    for (const s of Object.values(NUMERIC_SETTINGS)) {
      for (const v of [s.min, s.max]) {
        const r = await runCli({ ...base, [s.name]: String(v) }, ["register", "ok"]);
        assert.equal(r.code, 0, `${s.name}=${v}: ${r.stderr}`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's Configuration table lists every numeric setting with its bounds", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  for (const s of Object.values(NUMERIC_SETTINGS)) {
    const row = readme.split("\n").find((l) => l.startsWith(`| \`${s.name}\``));
    assert.ok(row, `no README row for ${s.name}`);
    const cells = row.split("|").map((c) => c.trim());
    assert.ok(cells.includes(`\`${s.default}\``), `${s.name}: default ${s.default} in ${row}`);
    assert.ok(row.includes(`${s.min}–${s.max}`), `${s.name}: bounds ${s.min}–${s.max} in ${row}`);
  }
  assert.ok(MAIN.endsWith("main.ts"));
});
