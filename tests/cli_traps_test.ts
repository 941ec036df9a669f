/**
 * One identity and no silent traps: the sender rule of every command that sends,
 * the anonymous --expect-reply refused, a target nobody knows warned about (or
 * refused with --strict), and messages from standard input or a file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MAIN, openMesh } from "./harness/cli.ts";
import { engines } from "./harness/store_engines.ts";

/** Runs agent-mesh with `input` on its standard input. */
async function withStdin(env: Record<string, string>, input: string, args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(input));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

for (const engine of engines()) {
  const opts = { ignore: engine.ignore, ...engine.testOptions };

  Deno.test({
    name: `${engine.name}: every command that sends takes --from, else AGENT_MESH_AGENT, else cli`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      const p = m.opened.prefix;
      const store = m.opened.store;
      const alice = { AGENT_MESH_AGENT: "alice" };
      await m.cli("register", "zq");
      const lastFrom = async (stream: string) => (await store.revRange(stream, 1))[0].fields.from;

      assert.equal((await m.cliEnv(alice, "send", "zq", "x")).code, 0);
      assert.equal(await lastFrom(`${p}:to_zq`), "alice", "send reads AGENT_MESH_AGENT");
      assert.equal((await m.cliEnv(alice, "send", "zq", "x", "--from", "bo")).code, 0);
      assert.equal(await lastFrom(`${p}:to_zq`), "bo", "--from wins");
      assert.equal((await m.cli("send", "zq", "x")).code, 0);
      assert.equal(await lastFrom(`${p}:to_zq`), "cli", "else the anonymous cli");

      let r = await m.cliEnv(alice, "broadcast", "all");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await lastFrom(`${p}:group`), "alice", "broadcast needs no --from");
      r = await m.cli("broadcast", "all");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await lastFrom(`${p}:group`), "cli");

      r = await m.cliEnv(alice, "ack", "zq", "ok");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await lastFrom(`${p}:to_zq`), "alice");

      // request and reply without --from: the asker is alice, the replier "asked".
      await m.cli("register", "asked");
      const asking = m.spawn(["request", "asked", "2+2?", "--timeout", "30", "--json"], alice);
      const heard = await m.cli("listen", "asked", "--json", "--timeout", "20");
      const req = JSON.parse(heard.stdout).message;
      assert.equal(req.from, "alice", "request reads AGENT_MESH_AGENT");
      r = await m.cliEnv({ AGENT_MESH_AGENT: "asked" }, "reply", req.reply_to, "4");
      assert.equal(r.code, 0, r.stderr);
      const answered = await asking.done();
      assert.equal(answered.code, 0, answered.stderr);
      const doc = JSON.parse(answered.stdout);
      assert.deepEqual([doc.reply_from, doc.reply], ["asked", "4"], "reply reads AGENT_MESH_AGENT");

      // ping's pong names the target, its request names the sender: check the inbox entry.
      const mon = m.spawn(["monitor", "pinged"]);
      await mon.waitFor(/^monitoring pinged /);
      r = await m.cliEnv(alice, "ping", "pinged", "--json");
      assert.equal(r.code, 0, r.stderr);
      const pingEntry = (await store.range(`${p}:to_pinged`)).find((e) =>
        e.fields.msg_type === "ping"
      );
      assert.equal(pingEntry?.fields.from, "alice", "ping reads AGENT_MESH_AGENT");
    },
  });

  Deno.test({
    name: `${engine.name}: --expect-reply from the anonymous cli is refused, nothing sent`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      await m.cli("register", "bob");
      const before = await m.opened.store.scan("");
      const r = await m.cli("send", "bob", "answer me", "--expect-reply");
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /^agent-mesh: Refusing --expect-reply from the anonymous "cli"[^\n]*\n$/,
      );
      assert.deepEqual(await m.opened.store.scan(""), before);
      const ok = await m.cliEnv({ AGENT_MESH_AGENT: "al" }, "send", "bob", "answer me", "-e");
      assert.equal(ok.code, 0, ok.stderr);
      const { entries } = JSON.parse((await m.cli("pending", "al", "--json")).stdout);
      assert.equal(entries.length, 1);
    },
  });

  Deno.test({
    name: `${engine.name}: a target nobody knows is warned about, and refused with --strict`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      const p = m.opened.prefix;
      await m.cli("register", "bob");
      await m.cli("send", "carol", "hi", "--from", "al"); // carol: an inbox, no registration
      let r = await m.cli("send", "bbo", "hi", "--from", "al");
      assert.equal(r.code, 0, "a warning does not stop the send");
      assert.equal(
        r.stderr,
        'agent-mesh: Warning: "bbo" is not registered and has no inbox (did you mean bob? ' +
          "known: bob, carol; --strict refuses)\n",
      );
      assert.equal(await m.opened.store.length(`${p}:to_bbo`), 1);
      for (const known of ["bob", "carol"]) {
        r = await m.cli("send", known, "hi", "--from", "al");
        assert.equal(r.stderr, "", `${known} is known`);
      }
      const before = await m.opened.store.scan("");
      const groupBefore = await m.opened.store.length(`${p}:group`);
      for (
        const args of [
          ["send", "bxb", "hi", "--from", "al", "--strict"],
          ["request", "bxb", "hi?", "--from", "al", "--strict", "--timeout", "1"],
          ["ping", "bxb", "--strict", "--timeout", "1"],
          ["ack", "bxb", "ok", "--strict"],
        ]
      ) {
        r = await m.cli(...args);
        assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
        assert.match(
          r.stderr,
          /^agent-mesh: Unknown agent "bxb": not registered and no inbox \(did you mean bob\? known: bob, bbo, carol\); nothing sent\n$/,
        );
      }
      assert.deepEqual(await m.opened.store.scan(""), before, "nothing sent");
      assert.equal(await m.opened.store.length(`${p}:group`), groupBefore);
      r = await m.cli("send", "bob", "hi", "--from", "al", "--strict");
      assert.equal(r.code, 0, r.stderr);
    },
  });

  Deno.test({
    name: `${engine.name}: "-" reads the message from stdin, --file from a file; empty is refused`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      const p = m.opened.prefix;
      await m.cli("register", "bob");
      const text = 'line one\nline two with "quotes" and $dollars';
      let r = await withStdin(m.env, `${text}\n`, ["send", "bob", "-", "--from", "al"]);
      assert.equal(r.code, 0, r.stderr);
      const last = async () => (await m.opened.store.revRange(`${p}:to_bob`, 1))[0].fields.msg;
      assert.equal(await last(), text, "trailing newline dropped");
      const file = join(m.home, "note.md");
      await Deno.writeTextFile(file, "from a file\n\n");
      r = await m.cli("send", "bob", "--file", file, "--from", "al");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await last(), "from a file");
      r = await withStdin(m.env, "broadcast via stdin", ["broadcast", "-", "--from", "al"]);
      assert.equal(r.code, 0, r.stderr);
      const group = (await m.opened.store.revRange(`${p}:group`, 1))[0].fields.msg;
      assert.equal(group, "broadcast via stdin");
      const before = await m.opened.store.scan("");
      for (
        const [input, args] of [["\n\n", ["send", "bob", "-"]], ["", ["send", "bob", ""]]] as const
      ) {
        r = await withStdin(m.env, input, [...args]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /^agent-mesh: Empty message: give some text/);
      }
      await Deno.writeTextFile(file, "x".repeat(20));
      r = await m.cliEnv({ AGENT_MESH_MAX_BYTES: "10" }, "send", "bob", "--file", file);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /20 bytes, over the limit of 10/);
      assert.deepEqual(await m.opened.store.scan(""), before, "nothing sent");
    },
  });
}
