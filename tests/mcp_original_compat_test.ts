/**
 * A client written for the original tool's MCP server reads ours (issue 11,
 * point 7): its seven tools, called with its argument names, return every field
 * it returned, with the same name and JSON type, in the text content its clients
 * parse (`json.loads(result[0].text)`), and in structuredContent. Our fields sit
 * beside them.
 *
 * The expectations are the original's `call_tool` (mcp_server.py of v0.1):
 *   mesh_send        {"ok": bool}                          (false when the gate refuses)
 *   mesh_ping        {"ok": bool, "latency_ms": int}       (-1 on timeout)
 *   mesh_who         {"agents": [{"agent", "role", "pid": int, "ts": float}]}
 *   mesh_register    {"ok": true}
 *   mesh_listen_once {"message": {"id", "from", "msg", "ts", "reply_to"?} | null}, 5 s default
 *   mesh_request     {"reply": str | null}
 *   mesh_pending     {"entries": [{"id", "dir", "peer", "msg_id", "sent_ts", "deadline_ts",
 *                                  "tries", "note", "escalated"}]}
 */
import assert from "node:assert/strict";
import { engines } from "./harness/store_engines.ts";
import { type McpAgent, openTestMesh, runCli, stdioAgent } from "./harness/mcp_server.ts";

type Doc = Record<string, unknown>;

/** The result as the original's clients read it: the JSON of the first text content. */
async function originalCall(agent: McpAgent, name: string, args: Doc): Promise<Doc> {
  const result = await agent.raw(name, args);
  assert.notEqual(result.isError, true, `${name}: ${JSON.stringify(result.content)}`);
  const content = result.content as { type: string; text: string }[];
  assert.equal(content[0].type, "text");
  const doc = JSON.parse(content[0].text);
  assert.deepEqual(result.structuredContent, doc, `${name}: structuredContent is the same JSON`);
  return doc;
}

/** Asserts that `doc[field]` has the JSON type of the original's value. */
function typed(
  doc: Doc,
  field: string,
  type: "string" | "number" | "boolean" | "int",
  what: string,
) {
  const v = doc[field];
  if (type === "int") assert.ok(Number.isInteger(v), `${what}.${field} is an integer: ${v}`);
  else assert.equal(typeof v, type, `${what}.${field} is a ${type}: ${JSON.stringify(v)}`);
}

for (const engine of engines()) {
  Deno.test({
    name:
      `the original's seven tools, called as its clients call them, read as they did (${engine.name})`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using mesh = await openTestMesh(engine);
      await using agent = await stdioAgent(mesh.env);

      const sent = await originalCall(agent, "mesh_send", {
        to: "orig-b",
        message: "hello b",
        from_agent: "orig-a",
        private: false,
      });
      assert.equal(sent.ok, true);

      const registered = await originalCall(agent, "mesh_register", {
        name: "orig-b",
        role: "tester",
      });
      assert.equal(registered.ok, true);

      const who = await originalCall(agent, "mesh_who", {});
      const entry = (who.agents as Doc[]).find((a) => a.agent === "orig-b")!;
      typed(entry, "agent", "string", "agents[]");
      typed(entry, "role", "string", "agents[]");
      typed(entry, "pid", "int", "agents[]");
      typed(entry, "ts", "number", "agents[]");

      const got = await originalCall(agent, "mesh_listen_once", { name: "orig-b", timeout_s: 5 });
      const message = got.message as Doc;
      for (const field of ["id", "from", "msg", "ts"]) typed(message, field, "string", "message");
      assert.equal(message.msg, "hello b");
      assert.equal(message.from, "orig-a");
      assert.ok(Number(message.ts) > 1e9);
      const none = await originalCall(agent, "mesh_listen_once", {
        name: "orig-b",
        timeout_s: 0.2,
      });
      assert.equal(none.message, null);

      // A request, seen by the listener with its reply_to, answered through the CLI.
      const asking = originalCall(agent, "mesh_request", {
        to: "orig-b",
        message: "what is 6 x 7?",
        from_agent: "orig-a",
        timeout_s: 30,
      });
      await using other = await stdioAgent(mesh.env);
      const request = (await originalCall(other, "mesh_listen_once", {
        name: "orig-b",
        timeout_s: 20,
      })).message as Doc;
      typed(request, "reply_to", "string", "message");
      assert.equal(request.msg, "what is 6 x 7?");
      const replied = await runCli(mesh.env, [
        "reply",
        String(request.reply_to),
        "42",
        "--from",
        "orig-b",
      ]);
      assert.equal(replied.code, 0, replied.stderr);
      const answer = await asking;
      assert.equal(answer.reply, "42");
      const unanswered = await originalCall(agent, "mesh_request", {
        to: "nobody",
        message: "anyone?",
        from_agent: "orig-a",
        timeout_s: 0.2,
      });
      assert.equal(unanswered.reply, null);

      const pong = await originalCall(agent, "mesh_ping", { agent: "nobody", timeout_s: 0.2 });
      assert.equal(pong.ok, false);
      assert.equal(pong.latency_ms, -1);
      const listening = other.raw("mesh_listen", { name: "orig-b", timeout_s: 20 });
      const alive = await originalCall(agent, "mesh_ping", { agent: "orig-b", timeout_s: 20 });
      assert.equal(alive.ok, true);
      typed(alive, "latency_ms", "int", "ping");
      await agent.call("mesh_send", {
        to: "orig-b",
        message: "end the listen",
        from_agent: "orig-a",
      });
      await listening;

      const expect = await runCli(mesh.env, [
        "send",
        "orig-b",
        "answer me",
        "--from",
        "orig-a",
        "--expect-reply",
      ]);
      assert.equal(expect.code, 0, expect.stderr);
      const pending = await originalCall(agent, "mesh_pending", { name: "orig-a" });
      const row = (pending.entries as Doc[])[0];
      for (const f of ["id", "dir", "peer", "msg_id", "note"]) typed(row, f, "string", "entries[]");
      for (const f of ["sent_ts", "deadline_ts"]) typed(row, f, "number", "entries[]");
      typed(row, "tries", "int", "entries[]");
      typed(row, "escalated", "boolean", "entries[]");
    },
  });
}

Deno.test('an enforced rate limit answers the original\'s {"ok": false}, not a tool error', async () => {
  const embedded = engines().find((e) => e.name === "embedded")!;
  await using mesh = await openTestMesh(embedded, {
    AGENT_MESH_GATE_ENFORCE: "1",
    AGENT_MESH_GATE_LIMIT: "1",
  });
  await using agent = await stdioAgent(mesh.env);
  const args = { to: "gated", message: "x", from_agent: "spammer", private: false };
  assert.equal((await originalCall(agent, "mesh_send", args)).ok, true);
  const refused = await originalCall(agent, "mesh_send", args);
  assert.equal(refused.ok, false);
  assert.equal(refused.verdict, "deny");
  assert.match(String(refused.error), /^Rate limit: spammer sent more than 1 messages to gated/);
});

Deno.test("mesh_listen_once waits 5 s by default, as the original; mesh_listen 30 s", async () => {
  const embedded = engines().find((e) => e.name === "embedded")!;
  await using mesh = await openTestMesh(embedded);
  await using agent = await stdioAgent(mesh.env);
  const { tools } = await agent.client.listTools();
  const timeout = (name: string) =>
    (tools.find((t) => t.name === name)!.inputSchema.properties as Record<string, Doc>).timeout_s;
  assert.equal(timeout("mesh_listen_once").default, 5);
  assert.equal(timeout("mesh_listen").default, 30);
  // Every tool still describes its result.
  for (const tool of tools) assert.equal(tool.outputSchema?.type, "object", tool.name);
});
