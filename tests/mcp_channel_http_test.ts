/**
 * Sessions bound to an agent over HTTP (`/mcp?as=NAME`, `X-Agent-Name`, and the
 * legacy `/sse?as=NAME`), on both engines: the same wake-ups (with channels=1),
 * presence and identity as `serve --as`, and no message taken by any push.
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
import { eventually } from "./harness/timing.ts";
import { RAW_INITIALIZE, whoRoles } from "./harness/mcp_channel.ts";

const HEADERS = {
  accept: "application/json, text/event-stream",
  "content-type": "application/json",
};
const INIT = JSON.stringify(RAW_INITIALIZE);

/** Polls `who` until `name` is gone (a DELETE ends the session in the background); bounded. */
function untilGone(env: Record<string, string>, name: string): Promise<string[][]> {
  return eventually(() => whoRoles(env), (w) => !w.some(([a]) => a === name), `${name} gone`);
}

async function send(env: Record<string, string>, to: string, text: string, from: string) {
  const r = await runCli(env, ["send", to, text, "--from", from]);
  assert.equal(r.code, 0, r.stderr);
}

for (const engine of engines()) {
  Deno.test({
    name:
      `a Streamable HTTP session opened with ?as= is that agent: wake-ups, presence, identity, nothing taken (${engine.name})`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using mesh = await openTestMesh(engine);
      await using server = await startHttpServer(mesh.env);
      await send(mesh.env, "bob", "sent before the session", "carol");
      await using bob = await streamableAgent(
        server.base,
        {},
        "/mcp?as=bob&role=reviews&channels=1",
      );
      assert.deepEqual(bob.client.getServerCapabilities()?.experimental, { "claude/channel": {} });
      assert.match(bob.client.getInstructions() ?? "", /You are agent "bob"/);
      assert.deepEqual(await whoRoles(mesh.env), [], "not registered before a tool call");

      // ann is bound with the header: her tools send as ann.
      await using ann = await streamableAgent(server.base, { "x-agent-name": "ann" });
      const refused = await ann.raw("mesh_send", {
        to: "bob",
        message: "x",
        from_agent: "mallory",
      });
      assert.equal(refused.isError, true);
      assert.match(JSON.stringify(refused.content), /Cannot send as \\"mallory\\"/);
      await ann.call("mesh_send", { to: "bob", message: "hi bob" });
      assert.deepEqual(
        await eventually(() => whoRoles(mesh.env), (w) => w.length > 0, "ann registered"),
        [["ann", ""]],
      );

      // bob's GET stream carries a wake-up for ann's message: sender and count, no text.
      const [wake] = await bob.channel.until(1);
      assert.deepEqual(wake.meta, { from: "ann", count: "1", kind: "wake" });
      assert.doesNotMatch(wake.content, /hi bob/);

      // The legacy SSE transport takes ?as= too.
      await using cid = await sseAgent(server.base, {}, "/sse?as=cid&channels=1");
      await ann.call("mesh_send", { to: "cid", message: "over sse" });
      const [overSse] = await cid.channel.until(1);
      assert.equal(overSse.meta.from, "ann");

      // Nothing was taken by the pushes: bob's reader gets both, in order.
      const r1 = await runCli(mesh.env, ["listen", "bob", "--timeout", "5", "--json"]);
      const r2 = await runCli(mesh.env, ["listen", "bob", "--timeout", "5", "--json"]);
      assert.deepEqual(
        [JSON.parse(r1.stdout).message?.text, JSON.parse(r2.stdout).message?.text],
        ["sent before the session", "hi bob"],
      );

      // Ending a used session (DELETE) deregisters its agent; stopping the server, all of them.
      await ann[Symbol.asyncDispose]();
      assert.deepEqual(await untilGone(mesh.env, "ann"), []);
      await bob.call("mesh_who");
      assert.deepEqual(
        await eventually(() => whoRoles(mesh.env), (w) => w.length > 0, "bob registered"),
        [["bob", "reviews"]],
      );
      assert.equal(await server.stop(), 0, server.stderr());
      assert.deepEqual(await whoRoles(mesh.env), []);
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
    ["/mcp?role=x", {}, /role, channels and group go with as=NAME/],
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
