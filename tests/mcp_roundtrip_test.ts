/**
 * Agents on every transport talk to each other through one mesh, on both
 * engines: stdio, Streamable HTTP, legacy SSE and the CLI.
 */
import assert from "node:assert/strict";
import { engines } from "./harness/store_engines.ts";
import {
  type McpAgent,
  openTestMesh,
  runCli,
  sseAgent,
  startHttpServer,
  stdioAgent,
  streamableAgent,
} from "./harness/mcp_server.ts";

interface Msg {
  from: string;
  text: string;
  id: string;
  ts: string;
  reply_to?: string;
}

async function listen(agent: McpAgent, name: string, timeoutS = 20): Promise<Msg | null> {
  const { message } = await agent.call<{ message: Msg | null }>("mesh_listen", {
    name,
    timeout_s: timeoutS,
  });
  return message;
}

for (const engine of engines()) {
  Deno.test({
    name: `messages go round stdio, Streamable HTTP, SSE and the CLI (${engine.name})`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using mesh = await openTestMesh(engine);
      await using server = await startHttpServer(mesh.env);
      await using a = await stdioAgent(mesh.env);
      await using b = await streamableAgent(server.base);
      await using c = await sseAgent(server.base);

      // CLI -> b (Streamable HTTP), sent before anyone listens.
      const cli = await runCli(mesh.env, ["send", "bea", "from the cli", "--from", "dan"]);
      assert.equal(cli.code, 0, cli.stderr);
      const m1 = await listen(b, "bea");
      assert.equal(m1?.from, "dan");
      assert.equal(m1?.text, "from the cli");
      assert.match(m1?.id ?? "", /^[0-9a-f-]{36}$/);
      assert.ok(Number(m1?.ts) > 1e9);
      assert.equal(m1?.reply_to, undefined);

      // b -> c (SSE), c already waiting.
      const waiting = listen(c, "cid");
      const sent = await b.call("mesh_send", { to: "cid", message: "over sse", from_agent: "bea" });
      assert.equal(sent.ok, true);
      assert.equal(sent.verdict, "allow");
      const m2 = await waiting;
      assert.deepEqual([m2?.from, m2?.text], ["bea", "over sse"]);
      assert.equal(m2?.id, sent.id);

      // c -> a (stdio), privately.
      await c.call("mesh_send", {
        to: "ada",
        message: "ünïcødé ✓",
        from_agent: "cid",
        private: true,
      });
      const m3 = await listen(a, "ada");
      assert.deepEqual([m3?.from, m3?.text], ["cid", "ünïcødé ✓"]);

      // a -> the CLI.
      await a.call("mesh_send", { to: "dan", message: "back to the cli", from_agent: "ada" });
      const heard = await runCli(mesh.env, ["listen", "dan", "--timeout", "20", "--json"]);
      assert.equal(heard.code, 0, heard.stderr);
      const doc = JSON.parse(heard.stdout);
      assert.deepEqual([doc.message.from, doc.message.text], ["ada", "back to the cli"]);

      // Each message was taken once: nothing is left for anyone.
      for (const [agent, name] of [[a, "ada"], [b, "bea"], [c, "cid"]] as const) {
        assert.equal(await listen(agent, name, 0), null, `${name}'s inbox is empty`);
      }
    },
  });

  Deno.test({
    name:
      `request and reply entirely through MCP, with ping, presence and history (${engine.name})`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using mesh = await openTestMesh(engine);
      await using server = await startHttpServer(mesh.env);
      await using asker = await streamableAgent(server.base);
      await using answerer = await sseAgent(server.base);
      await using watcher = await stdioAgent(mesh.env);

      await answerer.call("mesh_register", { name: "oracle", role: "answers questions" });
      const who = await watcher.call<{ agents: { agent: string; role: string }[] }>("mesh_who");
      assert.deepEqual(who.agents.map((x) => [x.agent, x.role]), [["oracle", "answers questions"]]);

      // A listener answers pings while it waits.
      const listening = listen(answerer, "oracle");
      const pong = await watcher.call<{ ok: boolean; latency_ms: number | null; from?: string }>(
        "mesh_ping",
        { agent: "oracle", timeout_s: 20 },
      );
      assert.equal(pong.ok, true);
      assert.equal(pong.from, "oracle");
      assert.ok((pong.latency_ms ?? -1) >= 0);

      const asking = asker.call<{ reply: string | null; reply_from: string | null }>(
        "mesh_request",
        { to: "oracle", message: "what is 6 x 7?", from_agent: "asker", timeout_s: 30 },
      );
      const question = await listening;
      assert.equal(question?.text, "what is 6 x 7?");
      assert.equal(question?.from, "asker");
      assert.match(question?.reply_to ?? "", /^t\w+:reply:[0-9a-f]{32}$|^mesh:reply:[0-9a-f]{32}$/);
      const replied = await answerer.call("mesh_reply", {
        reply_to: question!.reply_to,
        text: "42",
        from_agent: "oracle",
      });
      assert.deepEqual(replied, { ok: true });
      const answer = await asking;
      assert.equal(answer.reply, "42");
      assert.equal(answer.reply_from, "oracle");

      // Nobody listens to "nobody": ping and request time out cleanly.
      const lost = await watcher.call("mesh_ping", { agent: "nobody", timeout_s: 0.3 });
      assert.deepEqual(lost, { ok: false, latency_ms: -1 });
      const unanswered = await asker.call("mesh_request", {
        to: "nobody",
        message: "anyone?",
        timeout_s: 0.3,
      });
      assert.deepEqual(unanswered, {
        reply: null,
        reply_from: null,
        reply_ts: null,
        unexpected_author: false,
      });

      await watcher.call("mesh_broadcast", { message: "hello all", from_agent: "watch" });
      const group = await watcher.call<{ messages: { from: string; text: string; to?: string }[] }>(
        "mesh_history",
        { name: "watch", scope: "group", limit: 5 },
      );
      assert.deepEqual(group.messages.at(-1), {
        ...group.messages.at(-1),
        from: "watch",
        text: "hello all",
        to: "*",
      });
      const acked = await watcher.call("mesh_ack", {
        peer: "oracle",
        text: "thanks",
        from_agent: "watch",
      });
      assert.equal(acked.cleared, 0);
      assert.equal((await listen(answerer, "oracle", 5))?.text, "ACK: thanks");
      const pending = await watcher.call("mesh_pending", { name: "watch" });
      assert.deepEqual(pending, { entries: [] });

      assert.deepEqual(await asker.call("mesh_deregister", { name: "oracle" }), {
        ok: true,
        removed: true,
      });
      assert.deepEqual(await watcher.call("mesh_who"), { agents: [] });
    },
  });
}
