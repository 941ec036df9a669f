/**
 * Issue 13 point 1: nothing is lost at the cap. An inbox keeps every entry its
 * agent has not acknowledged, however many; a send beyond AGENT_MESH_MAX_UNREAD is
 * refused with InboxFullError and writes nothing; read history and the group
 * stream stay bounded by AGENT_MESH_HISTORY. Each case runs on both engines,
 * through the real Mesh API on a real store, and through CLI subprocesses.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import { InboxFullError } from "../lib/errors.ts";
import { nextDirect } from "../lib/mesh/listen.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import { openMesh } from "./harness/cli.ts";
import { engines, type OpenedStore } from "./harness/store_engines.ts";
import { openTestMesh, stdioAgent } from "./harness/mcp_server.ts";

/** A Mesh on the test's store, with extra settings. */
async function meshOn(h: OpenedStore, extra: Record<string, string> = {}): Promise<Mesh> {
  const home = await Deno.makeTempDir({ prefix: "agent-mesh-rel-" });
  const env: Record<string, string> = { HOME: home, AGENT_MESH_HOME: home, ...h.env, ...extra };
  return new Mesh(h.store, loadConfig((k) => env[k]));
}

/** Takes and acknowledges DIRECT messages of `name` until none is left; returns their texts. */
async function drain(mesh: Mesh, name: string, most = Infinity): Promise<string[]> {
  const texts: string[] = [];
  while (texts.length < most) {
    const d = await nextDirect(mesh, name, { timeoutMs: 0 });
    if (!d) break;
    texts.push(d.message.text);
    await d.ack();
  }
  return texts;
}

function numbered(n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => `m${from + i}`);
}

for (const engine of engines()) {
  const opts = { ignore: engine.ignore, ...engine.testOptions };

  Deno.test({
    name: `${engine.name}: 5,000 messages to an agent that never listened are all taken later`,
    ...opts,
    async fn() {
      await using h = await engine.open();
      const mesh = await meshOn(h);
      for (const text of numbered(5000)) await mesh.send({ from: "alice", to: "bob", text });
      assert.equal(await h.store.length(mesh.keys.inbox("bob")), 5000, "nothing trimmed");
      assert.deepEqual(await drain(mesh, "bob"), numbered(5000));
    },
  });

  Deno.test({
    name: `${engine.name}: a reader that falls behind loses nothing; read history stays bounded`,
    ...opts,
    async fn() {
      await using h = await engine.open();
      // A short history, so that read entries are trimmed many times along the way.
      const mesh = await meshOn(h, { AGENT_MESH_HISTORY: "100" });
      const got: string[] = [];
      for (let i = 0; i < 3000; i++) {
        await mesh.send({ from: "alice", to: "bob", text: `m${i}` });
        // One message read per ten sent: the backlog grows to some 2,700.
        if (i % 10 === 0) got.push(...await drain(mesh, "bob", 1));
      }
      got.push(...await drain(mesh, "bob"));
      assert.deepEqual(got, numbered(3000));
      // All read now: within the next 10% of appends, the read history is trimmed to
      // AGENT_MESH_HISTORY entries (plus its 10% slack).
      const last = numbered(10, 3000);
      for (const text of last) await mesh.send({ from: "alice", to: "bob", text });
      const len = await h.store.length(mesh.keys.inbox("bob"));
      assert.ok(len <= 100 + 10 + 10, `inbox holds ${len} entries after all were read`);
      assert.deepEqual(await drain(mesh, "bob"), last);
    },
  });

  Deno.test({
    name: `${engine.name}: a send to a full inbox is refused and writes nothing`,
    ...opts,
    async fn() {
      await using h = await engine.open();
      const mesh = await meshOn(h, { AGENT_MESH_MAX_UNREAD: "20" });
      const inbox = mesh.keys.inbox("bob");
      // No consumer group yet (nobody ever listened): every entry counts as unread.
      for (const text of numbered(20)) await mesh.send({ from: "alice", to: "bob", text });
      const lengths = async () => [
        await h.store.length(inbox),
        await h.store.length(mesh.keys.group),
        await h.store.length(mesh.keys.audit),
      ];
      const before = await lengths();
      await assert.rejects(
        () => mesh.send({ from: "alice", to: "bob", text: "one too many" }),
        (err: Error) =>
          err instanceof InboxFullError &&
          /^The inbox of "bob" is full: 20 unread messages/.test(err.message),
      );
      await assert.rejects(() => mesh.ping({ from: "alice", to: "bob", timeoutMs: 100 }));
      assert.deepEqual(await lengths(), before, "nothing of the refused sends was written");
      // With a consumer group: what it acknowledged no longer counts.
      assert.deepEqual(await drain(mesh, "bob", 5), numbered(5));
      for (const text of numbered(5, 20)) await mesh.send({ from: "alice", to: "bob", text });
      await assert.rejects(
        () => mesh.send({ from: "alice", to: "bob", text: "x" }),
        InboxFullError,
      );
      // Taken but not acknowledged still counts as unread.
      const taken = await nextDirect(mesh, "bob", { timeoutMs: 0 });
      assert.equal(taken?.message.text, "m5");
      await assert.rejects(
        () => mesh.send({ from: "alice", to: "bob", text: "x" }),
        InboxFullError,
      );
      await taken!.ack();
      await mesh.send({ from: "alice", to: "bob", text: "m25" });
      assert.deepEqual(await drain(mesh, "bob"), numbered(20, 6));
    },
  });

  Deno.test({
    name: `${engine.name}: the group stream is capped by AGENT_MESH_HISTORY`,
    ...opts,
    async fn() {
      await using h = await engine.open();
      const mesh = await meshOn(h, { AGENT_MESH_HISTORY: "50" });
      for (let i = 0; i < 300; i++) await mesh.broadcast({ from: "alice", text: `b${i}` });
      const len = await h.store.length(mesh.keys.group);
      // Redis trims "~": by whole nodes of 100 entries; the embedded engine by 10%.
      assert.ok(len >= 50 && len < 300, `group stream holds ${len} entries`);
    },
  });

  Deno.test({
    name: `${engine.name}: CLI send to a full inbox exits 1 with one line`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      const env = { AGENT_MESH_MAX_UNREAD: "10" };
      const mesh = await meshOn(m.opened, { ...m.env, ...env });
      for (const text of numbered(10)) await mesh.send({ from: "alice", to: "bob", text });
      const r = await m.cliEnv(env, "send", "bob", "one too many", "--from", "alice");
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /^agent-mesh: The inbox of "bob" is full: 10 unread messages, the limit \(AGENT_MESH_MAX_UNREAD=10\); nothing was sent\n$/,
      );
      assert.equal(await m.opened.store.length(mesh.keys.inbox("bob")), 10);
    },
  });

  Deno.test({
    name: `${engine.name}: mesh_send to a full inbox is a one-line tool error`,
    ...opts,
    async fn() {
      await using m = await openTestMesh(engine, { AGENT_MESH_MAX_UNREAD: "10" });
      const mesh = await meshOn(m.opened, m.env);
      for (const text of numbered(10)) await mesh.send({ from: "alice", to: "bob", text });
      await using agent = await stdioAgent(m.env);
      const result = await agent.raw("mesh_send", { to: "bob", message: "one too many" });
      assert.equal(result.isError, true);
      const text = (result.content as { type: string; text: string }[])[0].text;
      assert.match(text, /^The inbox of "bob" is full: 10 unread messages/);
      assert.doesNotMatch(text, /\n/);
      assert.equal(await m.opened.store.length(mesh.keys.inbox("bob")), 10);
    },
  });
}
