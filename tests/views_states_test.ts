/**
 * Message states and the read-only CLI views, through real processes on both
 * engines: status, history, send --wait, seen from a transcript, mesh_status,
 * and the keys they add (our own only).
 */
import assert from "node:assert/strict";
import { eventually } from "./harness/timing.ts";
import { join } from "node:path";
import { openMesh } from "./harness/cli.ts";
import { engines } from "./harness/store_engines.ts";
import { stdioAgent } from "./harness/mcp_server.ts";
import { loadConfig } from "../lib/config.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import { idsInTranscript, markSeen, status } from "../lib/mesh/states.ts";

/** Keys the original tool's layout has (WIRE.md), besides ours under `P:am:`. */
function originalKey(p: string, key: string): boolean {
  return [
    `${p}:to_`,
    `${p}:group`,
    `${p}:pong:`,
    `${p}:reply:`,
    `${p}:gate:`,
    `${p}:registry:`,
  ].some((k) => key.startsWith(k));
}

for (const engine of engines()) {
  Deno.test({
    name: `${engine.name}: states of a message, status, history, send --wait`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn(t) {
      await using m = await openMesh(engine);
      const p = m.opened.prefix;
      const store = m.opened.store;
      const mesh = new Mesh(store, loadConfig((k) => m.env[k]));
      let id = "";

      await t.step("a sent message is queued; status says so in text and JSON", async () => {
        const r = await m.cli("send", "bob", "first", "--from", "alice", "--json");
        assert.equal(r.code, 0, r.stderr);
        id = JSON.parse(r.stdout).id;
        const s = await m.cli("status", id, "--json");
        assert.equal(s.code, 0, s.stderr);
        const doc = JSON.parse(s.stdout);
        assert.equal(doc.state, "queued");
        assert.equal(doc.from, "alice");
        assert.equal(doc.to, "bob");
        assert.equal(doc.kind, "direct");
        const text = await m.cli("status", id);
        assert.match(text.stdout, /^state: +queued$/m);
        assert.match(text.stdout, /alice → bob \(direct\)/);
      });

      await t.step("history shows the message and its state, and takes nothing", async () => {
        const h = await m.cli("history", "bob", "--json");
        assert.equal(h.code, 0, h.stderr);
        const [msg] = JSON.parse(h.stdout).messages;
        assert.equal(msg.id, id);
        assert.equal(msg.state, "queued");
        assert.match(
          (await m.cli("history", "bob")).stdout,
          /alice → bob {2}direct {2}queued {2}first/,
        );
        // history read it; listen still gets it
        const l = await m.cli("listen", "bob", "--json", "--timeout", "5");
        assert.equal(JSON.parse(l.stdout).message.id, id, "history took nothing");
      });

      await t.step("listen takes and delivers it: taken and delivered by listen", async () => {
        const doc = JSON.parse((await m.cli("status", id, "--json")).stdout);
        assert.equal(doc.state, "delivered");
        assert.equal(doc.marks.taken.reader, "listen");
        assert.equal(doc.marks.delivered.reader, "listen");
        assert.ok(Number(doc.marks.delivered.ts) >= Number(doc.marks.queued.ts));
        const h = JSON.parse((await m.cli("history", "bob", "--json")).stdout);
        assert.equal(h.messages[0].state, "delivered");
      });

      await t.step("seen: ids found in a transcript file are marked for the session", async () => {
        const path = join(m.home, "transcript.jsonl");
        const line = JSON.stringify({
          type: "user",
          message: { content: `[DIRECT from alice id=${id}] first` },
        });
        await Deno.writeTextFile(path, `${line}\n{"other":"${crypto.randomUUID()}"}\n`);
        const { ids, size } = await idsInTranscript(path);
        assert.ok(ids.includes(id));
        assert.deepEqual(await idsInTranscript(path, size), { ids: [], size }, "only what is new");
        const more = crypto.randomUUID();
        await Deno.writeTextFile(path, `{"x":"${more}"}\n`, { append: true });
        assert.deepEqual((await idsInTranscript(path, size)).ids, [more]);
        assert.deepEqual(await markSeen(mesh, ids, "sess-1"), [id], "only real messages");
        assert.deepEqual(await markSeen(mesh, ids, "sess-1"), [], "once");
        const s = await status(mesh, id);
        assert.equal(s?.state, "seen");
        assert.equal(s?.marks.seen?.session, "sess-1");
        assert.deepEqual(await idsInTranscript(join(m.home, "missing.jsonl")), {
          ids: [],
          size: 0,
        });
      });

      await t.step("send --wait delivered returns once listen delivered it", async () => {
        const sender = m.spawn([
          "send",
          "bob",
          "wait for me",
          "--wait",
          "delivered",
          "--timeout",
          "60",
        ]);
        // The message is in the inbox before listen starts: the state comes after the wait began.
        const h = async (): Promise<{ text: string }[]> =>
          JSON.parse((await m.cli("history", "bob", "--json")).stdout).messages;
        await eventually(
          h,
          (msgs) => msgs.some((x) => x.text === "wait for me"),
          "the message reached the inbox",
        );
        const l = await m.cli("listen", "bob", "--timeout", "10");
        assert.match(l.stdout, /wait for me/);
        const done = await sender.done();
        assert.equal(done.code, 0, done.stderr);
        assert.match(done.stdout, /^sent to bob, delivered$/m);
      });

      await t.step("send --wait times out with exit 1 and one line", async () => {
        // bob is known (an inbox) and nobody listens now.
        const r = await m.cli("send", "bob", "x", "--wait", "delivered", "--timeout", "0.5");
        assert.equal(r.code, 1);
        assert.equal(r.stderr.trim().split("\n").length, 1);
        assert.match(r.stderr, /^timeout: message [0-9a-f-]{36} not delivered within 0.5 s$/m);
        const bad = await m.cli("send", "bob", "x", "--wait", "read");
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /Invalid --wait "read"/);
      });

      await t.step("status of an unknown or malformed id", async () => {
        const r = await m.cli("status", crypto.randomUUID());
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^agent-mesh: Unknown message "[0-9a-f-]+": no state kept/);
        const bad = await m.cli("status", "../x");
        assert.equal(bad.code, 2);
      });

      await t.step("requests and their replies are recorded", async () => {
        const req = m.spawn(["request", "carol", "what time?", "--from", "dave", "--json"]);
        const l = await m.cli("listen", "carol", "--json", "--timeout", "20");
        const msg = JSON.parse(l.stdout).message;
        assert.equal((await status(mesh, msg.id))?.kind, "request");
        assert.equal((await status(mesh, msg.id))?.state, "delivered");
        assert.equal((await m.cli("reply", msg.reply_to, "noon", "--from", "carol")).code, 0);
        assert.equal((await req.done()).code, 0);
      });

      await t.step(
        "every key added is under P:am:, the original's keys keep their fields",
        async () => {
          for (const key of await store.scan(p)) {
            assert.ok(originalKey(p, key) || key.startsWith(`${p}:am:`), `unexpected key ${key}`);
          }
          const [inbox] = await store.range(`${p}:to_bob`);
          assert.deepEqual(Object.keys(inbox.fields).sort(), ["from", "id", "msg", "ts"]);
          const [group] = await store.range(`${p}:group`);
          assert.deepEqual(Object.keys(group.fields).sort(), ["from", "id", "msg", "to", "ts"]);
        },
      );

      await t.step("mesh_status over MCP", async () => {
        await using agent = await stdioAgent({ ...m.env, AGENT_MESH_AGENT: "" });
        const got = await agent.call<{ status: { state: string; id: string } | null }>(
          "mesh_status",
          { id },
        );
        assert.equal(got.status?.state, "seen");
        const none = await agent.call<{ status: null }>("mesh_status", { id: crypto.randomUUID() });
        assert.equal(none.status, null);
        const bad = await agent.raw("mesh_status", { id: "nope" });
        assert.equal(bad.isError, true);
      });
    },
  });
}
