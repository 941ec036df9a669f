/**
 * `serve --as NAME` over stdio, on both engines: the session is agent NAME, its
 * direct messages are pushed as Claude Code channel events (once each, across
 * restarts), it is registered while it lives, and it sends only as NAME.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { engines } from "./harness/store_engines.ts";
import { type McpAgent, openTestMesh, runCli, stdioAgent } from "./harness/mcp_server.ts";
import { whoRoles } from "./harness/mcp_channel.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REPLY_KEY = /^\w+:reply:[0-9a-f]{32}$/;

async function send(env: Record<string, string>, to: string, text: string, from: string) {
  const r = await runCli(env, ["send", to, text, "--from", from]);
  assert.equal(r.code, 0, r.stderr);
}

function toolError(result: { isError?: boolean; content: unknown }): string {
  assert.equal(result.isError, true, JSON.stringify(result));
  return (result.content as { text: string }[])[0].text;
}

/** The text of the one tool error `agent` gets for sending as someone else. */
async function impersonate(agent: McpAgent, as: string): Promise<string> {
  return toolError(await agent.raw("mesh_send", { to: "zed", message: "x", from_agent: as }));
}

for (const engine of engines()) {
  const opts = { ignore: engine.ignore, ...engine.testOptions };

  Deno.test({
    name:
      `serve --as pushes each direct message with its meta, answers pings, binds the sender (${engine.name})`,
    ...opts,
    async fn() {
      await using mesh = await openTestMesh(engine);
      await send(mesh.env, "bob", "sent while you were away", "carol");
      await using bob = await stdioAgent(mesh.env, ["--as", "bob", "--role", "tests channels"]);

      assert.deepEqual(bob.client.getServerCapabilities()?.experimental, { "claude/channel": {} });
      const instructions = bob.client.getInstructions() ?? "";
      for (
        const said of [/You are agent "bob"/, /tests channels/, /<channel source="agent-mesh"/]
      ) assert.match(instructions, said);
      for (const word of ["from", "id", "ts", "reply_to", "mesh_reply", "mesh_send"]) {
        assert.ok(instructions.includes(word), `instructions mention ${word}: ${instructions}`);
      }

      // The backlog comes first.
      const [backlog] = await bob.channel.until(1);
      assert.equal(backlog.content, "sent while you were away");
      assert.deepEqual(Object.keys(backlog.meta).sort(), ["from", "id", "ts"]);
      assert.equal(backlog.meta.from, "carol");
      assert.match(backlog.meta.id, UUID);
      assert.ok(Number(backlog.meta.ts) > 1e9, backlog.meta.ts);
      assert.deepEqual(await whoRoles(mesh.env), [["bob", "tests channels"]]);

      // Pings are answered by the session and never reach the model.
      const ping = await runCli(mesh.env, ["ping", "bob", "--timeout", "20", "--json"]);
      assert.equal(ping.code, 0, ping.stderr);
      assert.equal(JSON.parse(ping.stdout).from, "bob");

      // From another MCP session, then a request from the CLI, answered through a tool.
      await using ann = await stdioAgent(mesh.env);
      const sent = await ann.call<{ id: string }>("mesh_send", {
        to: "bob",
        message: "hello from ann",
        from_agent: "ann",
      });
      const asking = runCli(mesh.env, [
        "request",
        "bob",
        "what is 6 x 7?",
        "--from",
        "carol",
        "--timeout",
        "30",
        "--json",
      ]);
      const [, hello, question] = await bob.channel.until(3);
      assert.deepEqual(hello, {
        content: "hello from ann",
        meta: { from: "ann", id: sent.id, ts: hello.meta.ts },
      });
      assert.equal(question.content, "what is 6 x 7?");
      assert.deepEqual(Object.keys(question.meta).sort(), ["from", "id", "reply_to", "ts"]);
      assert.equal(question.meta.from, "carol");
      assert.match(question.meta.reply_to, REPLY_KEY);
      assert.deepEqual(
        await bob.call("mesh_reply", { reply_to: question.meta.reply_to, text: "42" }),
        { ok: true },
      );
      const asked = await asking;
      assert.equal(asked.code, 0, asked.stderr);
      assert.deepEqual(
        [JSON.parse(asked.stdout).reply.from, JSON.parse(asked.stdout).reply.text],
        ["bob", "42"],
      );

      // Identity: bob sends as bob, and only as bob.
      assert.match(
        await impersonate(bob, "mallory"),
        /^Cannot send as "mallory": this session is agent "bob"/,
      );
      for (const tool of ["mesh_ping", "mesh_request", "mesh_ack", "mesh_broadcast"]) {
        const args = tool === "mesh_ack"
          ? { peer: "ann", text: "x", from_agent: "eve" }
          : { agent: "ann", to: "ann", message: "x", timeout_s: 0, from_agent: "eve" };
        const refused = await bob.raw(tool, args);
        assert.match(toolError(refused), /Cannot send as "eve"/, tool);
      }
      await bob.call("mesh_send", { to: "ann", message: "from bob", from_agent: "bob" });
      await bob.call("mesh_send", { to: "ann", message: "from bob again" });
      const heard = await ann.call<{ message: { from: string } }>("mesh_listen", {
        name: "ann",
        timeout_s: 20,
      });
      assert.equal(heard.message.from, "bob");

      // Group traffic is not pushed without --group: a broadcast and an echo of ann -> dan.
      await ann.call("mesh_broadcast", { message: "hello all", from_agent: "ann" });
      await ann.call("mesh_send", { to: "dan", message: "psst", from_agent: "ann" });
      await send(mesh.env, "bob", "last one", "carol");
      const all = await bob.channel.until(4);
      assert.deepEqual(all.map((e) => e.content), [
        "sent while you were away",
        "hello from ann",
        "what is 6 x 7?",
        "last one",
      ]);
      assert.deepEqual(await bob.channel.quietFor(500), [], "nothing else is pushed");

      // The notify log is written for file watchers.
      const log = await Deno.readTextFile(join(mesh.env.AGENT_MESH_HOME, "notify-bob.log"));
      assert.equal(log.split("\n").filter((l) => l.startsWith("📨 ")).length, 4, log);
      assert.match(log, /^📨 carol: sent while you were away$/m);

      // A clean exit deregisters.
      await bob[Symbol.asyncDispose]();
      assert.deepEqual(await whoRoles(mesh.env), []);
    },
  });

  Deno.test({
    name:
      `a pushed message is never pushed again, and one sent while down comes on start (${engine.name})`,
    ...opts,
    async fn() {
      await using mesh = await openTestMesh(engine);
      {
        await using bob = await stdioAgent(mesh.env, ["--as", "bob"]);
        await send(mesh.env, "bob", "one", "carol");
        assert.equal((await bob.channel.until(1))[0].content, "one");
      }
      await send(mesh.env, "bob", "two", "carol");
      await using again = await stdioAgent(mesh.env, ["--as", "bob"]);
      await send(mesh.env, "bob", "three", "carol");
      const events = await again.channel.until(2);
      assert.deepEqual(events.map((e) => e.content), ["two", "three"]);
      assert.deepEqual(await again.channel.quietFor(500), []);
      // Everything was taken once: a listener finds nothing left.
      const left = await runCli(mesh.env, ["listen", "bob", "--timeout", "0", "--json"]);
      assert.equal(JSON.parse(left.stdout).message, null);
    },
  });

  Deno.test({
    name:
      `two sessions as alice and bob exchange a request and its reply through pushes and tools alone (${engine.name})`,
    ...opts,
    async fn() {
      await using mesh = await openTestMesh(engine);
      await using alice = await stdioAgent(mesh.env, ["--as", "alice"]);
      await using bob = await stdioAgent(mesh.env, ["--as", "bob"]);

      const asking = alice.call<{ reply: string | null; reply_from: string | null }>(
        "mesh_request",
        { to: "bob", message: "Is /v2/orders ready?", timeout_s: 60 },
      );
      const [question] = await bob.channel.until(1);
      assert.equal(question.content, "Is /v2/orders ready?");
      assert.equal(question.meta.from, "alice");
      assert.match(question.meta.reply_to, REPLY_KEY);
      await bob.call("mesh_reply", { reply_to: question.meta.reply_to, text: "Yes, merged" });
      const answer = await asking;
      assert.deepEqual([answer.reply_from, answer.reply], ["bob", "Yes, merged"]);

      await bob.call("mesh_send", { to: "alice", message: "Deployed to staging too" });
      const [note] = await alice.channel.until(1);
      assert.equal(note.content, "Deployed to staging too");
      assert.deepEqual(Object.keys(note.meta).sort(), ["from", "id", "ts"]);
      assert.equal(note.meta.from, "bob");
      assert.deepEqual(await whoRoles(mesh.env), [["alice", ""], ["bob", ""]]);
    },
  });

  Deno.test({
    name: `serve --as --group also pushes group traffic, marked with to (${engine.name})`,
    ...opts,
    async fn() {
      await using mesh = await openTestMesh(engine);
      await using bob = await stdioAgent(mesh.env, ["--as", "bob", "--group"]);
      assert.match(bob.client.getInstructions() ?? "", /to="\*" is a broadcast/);
      // Group history from before the first listen is not replayed: wait until bob listens.
      const ping = await runCli(mesh.env, ["ping", "bob", "--timeout", "20"]);
      assert.equal(ping.code, 0, ping.stderr);
      await using ann = await stdioAgent(mesh.env);
      await ann.call("mesh_broadcast", { message: "hello all", from_agent: "ann" });
      await ann.call("mesh_send", { to: "dan", message: "psst", from_agent: "ann" });
      await ann.call("mesh_send", { to: "bob", message: "direct", from_agent: "ann" });
      await bob.call("mesh_broadcast", { message: "my own" }); // own echoes are skipped
      await send(mesh.env, "bob", "last one", "carol");
      const events = await bob.channel.until(4);
      const shown = events.map((e) => [e.content, e.meta.from, e.meta.to ?? null]);
      assert.deepEqual(shown.sort(), [
        ["direct", "ann", null],
        ["hello all", "ann", "*"],
        ["last one", "carol", null],
        ["psst", "ann", "dan"],
      ]);
      assert.deepEqual(await bob.channel.quietFor(500), []);
    },
  });
}

const embedded = engines().find((e) => e.name === "embedded")!;

Deno.test("serve takes its agent from AGENT_MESH_AGENT and refuses bad binding flags", async () => {
  await using mesh = await openTestMesh(embedded);
  {
    await using carol = await stdioAgent({ ...mesh.env, AGENT_MESH_AGENT: "carol" });
    assert.match(carol.client.getInstructions() ?? "", /You are agent "carol"/);
    assert.match(await impersonate(carol, "dave"), /this session is agent "carol"/);
  }
  await using plain = await stdioAgent(mesh.env);
  assert.equal(plain.client.getServerCapabilities()?.experimental, undefined);
  assert.doesNotMatch(plain.client.getInstructions() ?? "", /You are agent/);

  const cases: [Record<string, string>, string[], RegExp][] = [
    [{}, ["--as", "bad name"], /^agent-mesh: Invalid --as name "bad name": use only letters/],
    [{}, ["--as", ""], /^agent-mesh: Missing --as name$/],
    [{ AGENT_MESH_AGENT: "a/b" }, [], /^agent-mesh: Invalid AGENT_MESH_AGENT name "a\/b"/],
    [{}, ["--role", "x"], /^agent-mesh: --role and --group go with --as NAME/],
    [{}, ["--group"], /^agent-mesh: --role and --group go with --as NAME/],
    [{}, ["--as", "bob", "--role", "x".repeat(201)], /^agent-mesh: Invalid --role/],
    [{}, ["--http", "--as", "bob"], /^agent-mesh: --as, --role and --group go with stdio/],
  ];
  for (const [env, args, want] of cases) {
    const r = await runCli({ ...mesh.env, ...env }, ["serve", ...args]);
    assert.equal(r.code, 2, `serve ${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.match(r.stderr.trimEnd(), want);
  }
});
