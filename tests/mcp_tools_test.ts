/**
 * The MCP server over stdio, with the SDK Client: tool list and schemas, bad
 * input as tool errors, cancellation of a blocked listen, progress.
 */
import assert from "node:assert/strict";
import { engines } from "./harness/store_engines.ts";
import { MAIN, openTestMesh, runCli, stdioAgent } from "./harness/mcp_server.ts";
import { askOf } from "../lib/mesh/asks.ts";
import { Keys } from "../lib/mesh/keys.ts";
import { openEnvMesh } from "./harness/mcp_probe.ts";
import { untilListening, untilNotListening } from "./harness/listening.ts";
import { eventually, withDeadline } from "./harness/timing.ts";

const embedded = engines().find((e) => e.name === "embedded")!;

const ORIGINAL = [
  "mesh_send",
  "mesh_ping",
  "mesh_who",
  "mesh_register",
  "mesh_listen_once",
  "mesh_request",
  "mesh_pending",
];
const NEW = [
  "mesh_reply",
  "mesh_ack",
  "mesh_broadcast",
  "mesh_deregister",
  "mesh_listen",
  "mesh_history",
  "mesh_status",
];
const READ_ONLY = ["mesh_who", "mesh_pending", "mesh_history", "mesh_status"];

type Schema = {
  type?: string;
  properties?: Record<string, Record<string, unknown>>;
  required?: string[];
};

Deno.test("serve over stdio lists every tool with input and output schemas", async () => {
  await using mesh = await openTestMesh(embedded);
  await using agent = await stdioAgent(mesh.env);
  const { tools } = await agent.client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), [...ORIGINAL, ...NEW].sort());
  for (const tool of tools) {
    assert.ok(tool.title, `${tool.name} has a title`);
    assert.ok((tool.description ?? "").length > 30, `${tool.name} has a description`);
    assert.equal(tool.inputSchema.type, "object");
    assert.equal(tool.outputSchema?.type, "object", `${tool.name} has an output schema`);
    assert.equal(
      tool.annotations?.readOnlyHint,
      READ_ONLY.includes(tool.name),
      `${tool.name} readOnlyHint`,
    );
  }
  const byName = new Map(tools.map((t) => [t.name, t]));
  const input = (name: string) => byName.get(name)!.inputSchema as Schema;
  const output = (name: string) => byName.get(name)!.outputSchema as Schema;
  assert.deepEqual(input("mesh_send").required?.sort(), ["message", "to"]);
  assert.deepEqual(
    Object.keys(input("mesh_send").properties!).sort(),
    ["from_agent", "message", "private", "to"],
  );
  assert.equal(input("mesh_send").properties!.to.pattern, "^[A-Za-z0-9_-]+$");
  assert.deepEqual(Object.keys(input("mesh_ping").properties!).sort(), [
    "agent",
    "from_agent",
    "timeout_s",
  ]);
  assert.deepEqual(Object.keys(input("mesh_who").properties!), ["all"]);
  assert.deepEqual(input("mesh_register").required, ["name"]);
  assert.deepEqual(input("mesh_listen_once").required, ["name"]);
  assert.deepEqual(input("mesh_request").required?.sort(), ["message", "to"]);
  assert.deepEqual(input("mesh_pending").required, ["name"]);
  assert.deepEqual(input("mesh_reply").required?.sort(), ["reply_to", "text"]);
  assert.deepEqual(input("mesh_ack").required?.sort(), ["peer", "text"]);
  assert.deepEqual(input("mesh_broadcast").required, ["message"]);
  assert.deepEqual(input("mesh_deregister").required, ["name"]);
  assert.deepEqual(Object.keys(input("mesh_history").properties!).sort(), [
    "limit",
    "name",
    "scope",
  ]);
  assert.match(String(input("mesh_listen").properties!.timeout_s.description), /at most 600/);
  assert.match(String(input("mesh_ping").properties!.timeout_s.description), /at most 60/);
  // The original's result keys.
  assert.ok(output("mesh_send").properties!.ok);
  assert.ok(output("mesh_ping").properties!.ok && output("mesh_ping").properties!.latency_ms);
  assert.ok(output("mesh_who").properties!.agents);
  assert.ok(output("mesh_listen_once").properties!.message);
  assert.ok(output("mesh_listen").properties!.message);
  assert.ok(output("mesh_request").properties!.reply);
  assert.ok(output("mesh_pending").properties!.entries);
});

Deno.test("serve over stdio answers bad input with one-sentence tool errors and keeps serving", async () => {
  await using mesh = await openTestMesh(embedded, { AGENT_MESH_MAX_BYTES: "1000" });
  await using agent = await stdioAgent(mesh.env);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["mesh_send", { to: 5, message: "hi" }, /^Invalid "to": expected text, got a number/],
    ["mesh_send", { to: "bob" }, /^Missing "message"/],
    ["mesh_send", { to: "bad name!", message: "hi" }, /^Invalid "to" "bad name!": an agent name/],
    ["mesh_send", { to: "bob", message: "x".repeat(1001) }, /1001 bytes, over the limit of 1000/],
    ["mesh_listen", { name: "bob", timeout_s: -1 }, /^Invalid "timeout_s" -1/],
    ["mesh_listen", { name: "bob", timeout_s: "soon" }, /^Invalid "timeout_s": expected a number/],
    ["mesh_history", { name: "bob", scope: "all" }, /^Invalid "scope"/],
    ["mesh_reply", { reply_to: "mesh:to_bob", text: "x" }, /^Invalid reply key/],
    ["mesh_register", { name: "x".repeat(65) }, /^Invalid "name" "x{30}…": an agent name/],
    ["mesh_nope", {}, /^Unknown tool "mesh_nope"/],
  ];
  for (const [tool, args, expected] of cases) {
    const result = await agent.raw(tool, args);
    assert.equal(result.isError, true, `${tool} ${JSON.stringify(args)} is a tool error`);
    const text = (result.content as { type: string; text: string }[])[0].text;
    assert.match(text, expected);
    assert.doesNotMatch(text, /\n|MCP error/, `one sentence: ${text}`);
  }
  const sent = await agent.call("mesh_send", { to: "bob", message: "still here" });
  assert.equal(sent.ok, true);
});

for (const engine of engines()) {
  Deno.test({
    name:
      `cancelling a blocked mesh_listen ends it on the server and takes nothing (${engine.name})`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      // A long lease: a message taken by a listen that is still blocked would stay hidden.
      await using mesh = await openTestMesh(engine, { AGENT_MESH_LEASE_S: "120" });
      await using agent = await stdioAgent(mesh.env);
      const ac = new AbortController();
      const listening = agent.raw("mesh_listen", { name: "carol", timeout_s: 60 }, {
        signal: ac.signal,
      });
      await untilListening(mesh.env, "carol", "mesh_listen"); // blocked in its read by now
      ac.abort();
      await assert.rejects(listening);
      // The server's read ended too (its heartbeat goes once it did), well before the 60 s.
      await untilNotListening(mesh.env, "carol");
      // Had the server's listen gone on, it would take this message and never hand it out.
      const sent = await runCli(mesh.env, ["send", "carol", "after cancel", "--from", "dave"]);
      assert.equal(sent.code, 0, sent.stderr);
      const got = await agent.call<{ message: { from: string; text: string } | null }>(
        "mesh_listen",
        { name: "carol", timeout_s: 10 },
      );
      assert.equal(got.message?.text, "after cancel");
      assert.equal(got.message?.from, "dave");
    },
  });
}

for (const engine of engines()) {
  Deno.test({
    name: `cancelling mesh_request and mesh_ping ends their waits on the server (${engine.name})`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using mesh = await openTestMesh(engine);
      await using agent = await stdioAgent(mesh.env);
      const { store, prefix } = mesh.opened;
      // A waiting request deletes its reply key once answered; a cancelled one no longer can.
      const ac = new AbortController();
      const asking = agent.raw("mesh_request", { to: "ivan", message: "q?", timeout_s: 60 }, {
        signal: ac.signal,
      });
      const question = await agent.call<{ message: { reply_to?: string } | null }>(
        "mesh_listen",
        { name: "ivan", timeout_s: 10 },
      );
      const key = question.message?.reply_to;
      assert.ok(key);
      ac.abort();
      await assert.rejects(asking);
      // The server's wait ended: it marks the request given up once its read returned.
      {
        await using probe = await openEnvMesh(mesh.env);
        const nonce = key.slice(key.lastIndexOf(":") + 1);
        await eventually(() => askOf(probe, nonce), (a) => a?.state === "done", "request given up");
      }
      // So a late reply is refused, not written where nobody reads.
      const late = await agent.raw("mesh_reply", { reply_to: key, text: "too late" });
      assert.equal(late.isError, true, JSON.stringify(late));
      assert.match(JSON.stringify(late.content), /Nobody waits for a reply to/);
      assert.equal(await store.length(key), 0, "nothing written");

      const pinging = new AbortController();
      const ping = agent.raw("mesh_ping", { agent: "judy", timeout_s: 60 }, {
        signal: pinging.signal,
      });
      // The ping is in judy's inbox: the server waits for its pong (it reads before it appends).
      const judy = new Keys(prefix).inbox("judy");
      await eventually(() => store.length(judy), (n) => n > 0, "the ping sent");
      pinging.abort();
      await assert.rejects(ping);
      // A ping's wait leaves no trace when it ends. The server reads the cancellation
      // before the next request on this stdio stream and aborts the read at once, so it
      // has stopped before the listen below can write the pong.
      // A listener answers the ping now; no one is there to read and delete the pong.
      await agent.call("mesh_listen", { name: "judy", timeout_s: 0.5 });
      assert.equal((await store.scan(`${prefix}:pong:`)).length, 1);
      assert.equal((await agent.call("mesh_who")).agents instanceof Array, true);
    },
  });
}

Deno.test("mesh_listen reports progress when given a progress token", async () => {
  await using mesh = await openTestMesh(embedded);
  await using agent = await stdioAgent(mesh.env);
  const progress: { progress: number; total?: number }[] = [];
  const result = await agent.call<{ message: unknown }>(
    "mesh_listen",
    { name: "erin", timeout_s: 1 },
    { onprogress: (p) => progress.push(p) },
  );
  assert.equal(result.message, null);
  assert.ok(progress.length >= 1, "at least one progress notification");
  assert.equal(progress[0].total, 1);
});

Deno.test("mesh_listen_once gets messages sent before it was called, once each", async () => {
  await using mesh = await openTestMesh(embedded);
  await using agent = await stdioAgent(mesh.env);
  for (const text of ["one", "two"]) {
    const sent = await agent.call("mesh_send", { to: "frank", message: text, from_agent: "gina" });
    assert.equal(sent.ok, true);
  }
  const texts = [];
  for (let i = 0; i < 3; i++) {
    const got = await agent.call<{ message: { text: string } | null }>("mesh_listen_once", {
      name: "frank",
      timeout_s: i < 2 ? 5 : 0.2,
    });
    texts.push(got.message?.text ?? null);
  }
  assert.deepEqual(texts, ["one", "two", null]);
  const history = await agent.call<{ messages: { text: string }[] }>("mesh_history", {
    name: "frank",
  });
  assert.deepEqual(history.messages.map((m) => m.text), ["one", "two"]);
});

Deno.test("serve over stdio writes nothing but JSON-RPC on stdout and exits when stdin closes", async () => {
  await using mesh = await openTestMesh(embedded);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "serve"],
    env: mesh.env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const call = (id: number, name: string, args: Record<string, unknown>) => ({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name, arguments: args },
  });
  const lines = [
    {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "raw", version: "0" },
      },
    },
    { jsonrpc: "2.0", method: "notifications/initialized" },
    call(1, "mesh_register", { name: "kim" }),
    call(2, "mesh_listen", { name: "kim", timeout_s: 0.2 }), // times out: housekeeping runs
    call(3, "mesh_send", { to: "kim", message: "x" }),
    call(4, "mesh_nope", {}),
  ];
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(lines.map((l) => JSON.stringify(l) + "\n").join("")));
  const out = child.stdout.pipeThrough(new TextDecoderStream());
  let text = "";
  let closed = false;
  const reading = (async () => {
    for await (const chunk of out) {
      text += chunk;
      // Once every response is in, end the input: the server must then exit by itself.
      if (!closed && (text.match(/\n/g) ?? []).length >= 5) {
        closed = true;
        await writer.close();
      }
    }
  })();
  try {
    await withDeadline(reading, 20_000, "five responses, then the end of stdout");
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  const status = await withDeadline(child.status, 15_000, "serve to exit after stdin closed");
  await child.stderr.cancel();
  assert.equal(status.code, 0);
  const replies = text.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(replies.map((r) => r.id).sort(), [0, 1, 2, 3, 4]);
  for (const r of replies) assert.equal(r.jsonrpc, "2.0");
});
