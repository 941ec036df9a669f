/**
 * Sessions bound to an agent over HTTP (`/mcp?as=NAME`, `X-Agent-Name`, and the
 * legacy `/sse?as=NAME`), on both engines: the same pushes, presence and identity
 * as `serve --as`, and no message taken while no stream could carry it.
 */
import assert from "node:assert/strict";
import { engines } from "./harness/store_engines.ts";
import {
  openTestMesh,
  runCli,
  sseAgent,
  startHttpServer,
  streamableAgent,
} from "./harness/mcp_server.ts";
import { sleep, withDeadline } from "./harness/timing.ts";
import { RAW_INITIALIZE, whoRoles } from "./harness/mcp_channel.ts";

const REPLY_KEY = /^\w+:reply:[0-9a-f]{32}$/;
const HEADERS = {
  accept: "application/json, text/event-stream",
  "content-type": "application/json",
};
const INIT = JSON.stringify(RAW_INITIALIZE);

/** Polls `who` until `name` is gone (a DELETE ends the session in the background); bounded. */
async function untilGone(env: Record<string, string>, name: string): Promise<string[][]> {
  let agents = await whoRoles(env);
  for (let i = 0; i < 40 && agents.some(([a]) => a === name); i++) {
    await sleep(250);
    agents = await whoRoles(env);
  }
  return agents;
}

async function send(env: Record<string, string>, to: string, text: string, from: string) {
  const r = await runCli(env, ["send", to, text, "--from", from]);
  assert.equal(r.code, 0, r.stderr);
}

for (const engine of engines()) {
  Deno.test({
    name:
      `a Streamable HTTP session opened with ?as= is that agent: pushes, presence, identity (${engine.name})`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using mesh = await openTestMesh(engine);
      await using server = await startHttpServer(mesh.env);
      await send(mesh.env, "bob", "sent before the session", "carol");
      await using bob = await streamableAgent(server.base, {}, "/mcp?as=bob&role=reviews");
      assert.deepEqual(bob.client.getServerCapabilities()?.experimental, { "claude/channel": {} });
      assert.match(bob.client.getInstructions() ?? "", /You are agent "bob"/);

      const [backlog] = await bob.channel.until(1);
      assert.equal(backlog.content, "sent before the session");
      assert.deepEqual(Object.keys(backlog.meta).sort(), ["from", "id", "ts"]);
      assert.deepEqual(await whoRoles(mesh.env), [["bob", "reviews"]]);
      const ping = await runCli(mesh.env, ["ping", "bob", "--timeout", "20"]);
      assert.equal(ping.code, 0, ping.stderr);

      // ann is bound with the header: her tools send as ann.
      await using ann = await streamableAgent(server.base, { "x-agent-name": "ann" });
      const sent = await ann.call<{ id: string }>("mesh_send", { to: "bob", message: "hi bob" });
      const refused = await ann.raw("mesh_send", {
        to: "bob",
        message: "x",
        from_agent: "mallory",
      });
      assert.equal(refused.isError, true);
      assert.match(JSON.stringify(refused.content), /Cannot send as \\"mallory\\"/);
      const asking = ann.call<{ reply: string | null; reply_from: string | null }>("mesh_request", {
        to: "bob",
        message: "ready?",
        timeout_s: 30,
      });
      const [, hello, question] = await bob.channel.until(3);
      assert.deepEqual(hello, {
        content: "hi bob",
        meta: { from: "ann", id: sent.id, ts: hello.meta.ts },
      });
      assert.equal(question.meta.from, "ann");
      assert.match(question.meta.reply_to, REPLY_KEY);
      await bob.call("mesh_reply", { reply_to: question.meta.reply_to, text: "yes" });
      const answer = await asking;
      assert.deepEqual([answer.reply_from, answer.reply], ["bob", "yes"]);
      assert.deepEqual(await bob.channel.quietFor(300), []);
      assert.deepEqual(ann.channel.events, [], "ann got nothing: nothing was sent to her");

      // The legacy SSE transport takes ?as= too.
      await using cid = await sseAgent(server.base, {}, "/sse?as=cid");
      await ann.call("mesh_send", { to: "cid", message: "over sse" });
      const [overSse] = await cid.channel.until(1);
      assert.deepEqual([overSse.content, overSse.meta.from], ["over sse", "ann"]);

      // Ending the session (DELETE) deregisters its agent; stopping the server, all of them.
      await bob[Symbol.asyncDispose]();
      assert.deepEqual(await untilGone(mesh.env, "bob"), [["ann", ""], ["cid", ""]]);
      assert.equal(await server.stop(), 0, server.stderr());
      assert.deepEqual(await whoRoles(mesh.env), []);
    },
  });

  Deno.test({
    name: `a bound HTTP session takes no message while no GET stream is open (${engine.name})`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using mesh = await openTestMesh(engine);
      await using server = await startHttpServer(mesh.env);
      const mcp = `${server.base}/mcp?as=dora`;
      const init = await fetch(mcp, { method: "POST", headers: HEADERS, body: INIT });
      await init.body?.cancel();
      const session = init.headers.get("mcp-session-id")!;
      const headers = { ...HEADERS, "mcp-session-id": session };
      const initialized = await fetch(mcp, {
        method: "POST",
        headers,
        body: '{"jsonrpc":"2.0","method":"notifications/initialized"}',
      });
      await initialized.body?.cancel();
      assert.equal(initialized.status, 202);

      // Registered, but with no stream to carry events it leaves the inbox alone.
      for (let i = 0; i < 40 && (await whoRoles(mesh.env)).length === 0; i++) await sleep(100);
      assert.deepEqual(await whoRoles(mesh.env), [["dora", ""]]);
      await send(mesh.env, "dora", "kept for a listener", "carol");
      await sleep(500);
      const listened = await runCli(mesh.env, ["listen", "dora", "--timeout", "10", "--json"]);
      assert.equal(JSON.parse(listened.stdout).message?.text, "kept for a listener");

      // Once the GET stream is open, messages are pushed on it.
      await send(mesh.env, "dora", "pushed on the stream", "carol");
      const stream = await fetch(mcp, {
        headers: { accept: "text/event-stream", "mcp-session-id": session },
      });
      assert.equal(stream.status, 200);
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      for (let i = 0; i < 50 && !text.includes("pushed on the stream"); i++) {
        const { value, done } = await withDeadline(reader.read(), 20_000, "a channel event");
        if (done) break;
        text += value;
      }
      await reader.cancel();
      const data = text.split("\n").find((l) => l.includes("pushed on the stream"));
      const event = JSON.parse(data!.replace(/^data: /, ""));
      assert.equal(event.method, "notifications/claude/channel");
      assert.equal(event.params.content, "pushed on the stream");
      assert.equal(event.params.meta.from, "carol");

      const del = await fetch(mcp, { method: "DELETE", headers: { "mcp-session-id": session } });
      await del.body?.cancel();
      assert.deepEqual(await untilGone(mesh.env, "dora"), []);
    },
  });
}

const embedded = engines().find((e) => e.name === "embedded")!;

Deno.test("an invalid ?as= or X-Agent-Name is refused with 400 and a JSON-RPC error", async () => {
  await using mesh = await openTestMesh(embedded);
  await using server = await startHttpServer(mesh.env);
  const cases: [string, Record<string, string>, RegExp][] = [
    ["/mcp?as=bad%20name", {}, /Invalid as= agent name "bad name": use only letters/],
    ["/mcp?as=", {}, /Missing as= agent name/],
    ["/mcp", { "x-agent-name": "a/b" }, /Invalid X-Agent-Name "a\/b"/],
    ["/mcp?as=bob", { "x-agent-name": "eve" }, /Conflicting agent names/],
    ["/mcp?role=x", {}, /role and group go with as=NAME/],
    ["/mcp?as=bob&group=maybe", {}, /Invalid group="maybe"/],
    ["/sse?as=bad%20name", {}, /Invalid as= agent name/],
  ];
  for (const [path, extra, want] of cases) {
    const res = await fetch(`${server.base}${path}`, {
      method: path.startsWith("/sse") ? "GET" : "POST",
      headers: { ...HEADERS, accept: "application/json, text/event-stream", ...extra },
      body: path.startsWith("/sse") ? undefined : INIT,
    });
    const body = await res.json();
    assert.equal(res.status, 400, path);
    assert.equal(body.jsonrpc, "2.0");
    assert.equal(body.error.code, -32000);
    assert.match(body.error.message, want, path);
  }
  const health = await (await fetch(`${server.base}/health`)).json();
  assert.deepEqual(health.sessions, { streamable: 0, sse: 0 });
  assert.deepEqual(await whoRoles(mesh.env), []);
});
