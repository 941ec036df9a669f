/**
 * `serve --as NAME` over stdio, on both engines, under the one rule for taking:
 * a session (and a health check such as `claude mcp list`) takes nothing; with
 * `--channels` it pushes wake-ups that name who wrote and how many, never the
 * text; `mesh_listen` still takes; the agent is registered from the session's
 * first tool call to its end, and its tools send only as NAME.
 */
import assert from "node:assert/strict";
import { engines } from "./harness/store_engines.ts";
import { openTestMesh, runCli, stdioAgent } from "./harness/mcp_server.ts";
import { whoRoles } from "./harness/mcp_channel.ts";
import { eventually } from "./harness/timing.ts";

const REPLY_KEY = /^\w+:reply:[0-9a-f]{32}$/;

async function send(env: Record<string, string>, to: string, text: string, from: string) {
  const r = await runCli(env, ["send", to, text, "--from", from]);
  assert.equal(r.code, 0, r.stderr);
}

/** The DIRECT messages `listen` takes for `name`, one call each, until none is left. */
async function drain(env: Record<string, string>, name: string): Promise<string[]> {
  const texts: string[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await runCli(env, ["listen", name, "--timeout", "0", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout).message;
    if (!m) return texts;
    texts.push(m.text);
  }
  return texts;
}

function toolError(result: { isError?: boolean; content: unknown }): string {
  assert.equal(result.isError, true, JSON.stringify(result));
  return (result.content as { text: string }[])[0].text;
}

for (const engine of engines()) {
  const opts = { ignore: engine.ignore, ...engine.testOptions };

  Deno.test({
    name:
      `serve --as takes nothing: a health check and a session leave every message waiting (${engine.name})`,
    ...opts,
    async fn() {
      await using mesh = await openTestMesh(engine);
      await send(mesh.env, "bob", "sent before", "carol");

      // A health check: initialize, tools/list, close (what `claude mcp list` does).
      {
        await using check = await stdioAgent(mesh.env, ["--as", "bob", "--role", "reviews"]);
        assert.equal(check.client.getServerCapabilities()?.experimental, undefined);
      }
      assert.deepEqual(await whoRoles(mesh.env), [], "a health check registers no one");

      await using bob = await stdioAgent(mesh.env, ["--as", "bob", "--role", "reviews"]);
      const instructions = bob.client.getInstructions() ?? "";
      for (const said of [/You are agent "bob"/, /reviews/, /\[agent-mesh\] message from/]) {
        assert.match(instructions, said);
      }
      assert.deepEqual(await whoRoles(mesh.env), [], "not registered before a tool call");
      await bob.call("mesh_who");
      assert.deepEqual(
        await eventually(() => whoRoles(mesh.env), (w) => w.length > 0, "bob registered"),
        [["bob", "reviews"]],
      );

      // Identity: bob sends as bob, and only as bob.
      const refused = await bob.raw("mesh_send", { to: "zed", message: "x", from_agent: "eve" });
      assert.match(toolError(refused), /^Cannot send as "eve": this session is agent "bob"/);
      await bob.call("mesh_send", { to: "ann", message: "from bob" });
      const ann = await runCli(mesh.env, ["listen", "ann", "--timeout", "5", "--json"]);
      assert.equal(JSON.parse(ann.stdout).message.from, "bob");

      await send(mesh.env, "bob", "sent during", "carol");
      await bob[Symbol.asyncDispose]();
      assert.deepEqual(
        await eventually(() => whoRoles(mesh.env), (w) => w.length === 0, "bob deregistered"),
        [],
      );
      // Nothing was taken: both messages wait for bob's next reader, in order, once each.
      assert.deepEqual(await drain(mesh.env, "bob"), ["sent before", "sent during"]);
    },
  });

  Deno.test({
    name:
      `serve --as --channels pushes wake-ups naming sender and count, never the text; mesh_listen takes (${engine.name})`,
    ...opts,
    async fn() {
      await using mesh = await openTestMesh(engine);
      await send(mesh.env, "bob", "old news", "carol");
      await using bob = await stdioAgent(mesh.env, ["--as", "bob", "--channels"]);
      assert.deepEqual(bob.client.getServerCapabilities()?.experimental, { "claude/channel": {} });
      assert.match(bob.client.getInstructions() ?? "", /<channel source="agent-mesh">/);

      await send(mesh.env, "bob", "the secret plan", "carol");
      const [wake] = await bob.channel.until(1);
      assert.deepEqual(wake.meta, { from: "carol", count: "1", kind: "wake" });
      assert.match(wake.content, /^1 new message for bob from carol\b/);
      assert.match(wake.content, /mcp__agent-mesh__mesh_listen/);
      assert.doesNotMatch(wake.content, /secret/);

      const asking = runCli(mesh.env, [
        "request",
        "bob",
        "what is 6 x 7?",
        "--from",
        "dan",
        "--timeout",
        "30",
        "--json",
      ]);
      const [, asked] = await bob.channel.until(2);
      assert.match(asked.content, /from dan \(1 request waiting for an answer\)/);

      // The pushes took nothing: mesh_listen gets all three, oldest first.
      const got: { text: string; reply_to?: string }[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await bob.call<{ message: { text: string; reply_to?: string } }>(
          "mesh_listen",
          { name: "bob", timeout_s: 10 },
        );
        got.push(r.message);
      }
      assert.deepEqual(got.map((m) => m.text), ["old news", "the secret plan", "what is 6 x 7?"]);
      assert.match(got[2].reply_to ?? "", REPLY_KEY);
      await bob.call("mesh_reply", { reply_to: got[2].reply_to, text: "42" });
      const answer = await asking;
      assert.equal(answer.code, 0, answer.stderr);
      assert.equal(JSON.parse(answer.stdout).reply, "42");
      assert.equal(bob.channel.events.length, 2, JSON.stringify(bob.channel.events));
    },
  });
}

const embedded = engines().find((e) => e.name === "embedded")!;

Deno.test("serve --as --channels --group pushes group traffic it overhears, with to", async () => {
  await using mesh = await openTestMesh(embedded);
  await using bob = await stdioAgent(mesh.env, ["--as", "bob", "--channels", "--group"]);
  const b = await runCli(mesh.env, ["broadcast", "hello all", "--from", "ann"]);
  assert.equal(b.code, 0, b.stderr);
  await send(mesh.env, "dan", "psst", "ann");
  const [all, psst] = await bob.channel.until(2);
  assert.equal(all.content, "hello all");
  assert.equal(all.meta.to, "*");
  assert.equal(psst.content, "psst");
  assert.equal(psst.meta.to, "dan");
  // Overheard traffic is read, not taken: dan still gets its message.
  assert.deepEqual(await drain(mesh.env, "dan"), ["psst"]);
});

Deno.test("serve refuses --group without --channels, and --channels without --as", async () => {
  await using mesh = await openTestMesh(embedded);
  const a = await runCli(mesh.env, ["serve", "--as", "bob", "--group"]);
  assert.equal(a.code, 2);
  assert.match(a.stderr, /--group goes with --channels/);
  const b = await runCli(mesh.env, ["serve", "--channels"]);
  assert.equal(b.code, 2);
  assert.match(b.stderr, /go with --as NAME/);
});
