/**
 * What depends on time in lib/mesh runs on the Mesh's clock: a test moves it
 * instead of waiting. An `--expect-reply` message is re-pinged only once its
 * deadline passed, then by the backoff, then escalated; a request's record
 * counts as done once its asker's time is up.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../lib/config.ts";
import { askOf } from "../lib/mesh/asks.ts";
import { chaseOverdue } from "../lib/mesh/chase.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import { openStore } from "../lib/store/open.ts";

/** A Mesh on a fresh embedded store whose clock the test sets. */
async function withClockedMesh(fn: (mesh: Mesh, clock: { ms: number }) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const env: Record<string, string> = {
    AGENT_MESH_HOME: join(dir, "home"),
    AGENT_MESH_DB: join(dir, "mesh.db"),
    AGENT_MESH_REPING_S: "30,60",
    AGENT_MESH_ESCALATE_TO: "boss",
  };
  const config = loadConfig((k) => env[k]);
  const clock = { ms: Date.UTC(2030, 0, 1) };
  const mesh = new Mesh(await openStore(config), config, () => clock.ms);
  try {
    await fn(mesh, clock);
  } finally {
    await mesh.store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the chase follows the mesh's clock: deadline, backoff, then one escalation", async () => {
  await withClockedMesh(async (mesh, clock) => {
    await mesh.send({ from: "alice", to: "bob", text: "review?", expectReply: true, withinS: 120 });
    const kinds = async () => (await chaseOverdue(mesh, "alice")).map((a) => `${a.kind}:${a.to}`);
    clock.ms += 119_000;
    assert.deepEqual(await kinds(), [], "nothing is due before the deadline");
    clock.ms += 2_000;
    assert.deepEqual(await kinds(), ["reping:bob"]);
    assert.deepEqual(await kinds(), [], "the next re-ping waits for the backoff");
    clock.ms += 31_000;
    assert.deepEqual(await kinds(), ["reping:bob"]);
    clock.ms += 59_000;
    assert.deepEqual(await kinds(), [], "the backoff grows");
    clock.ms += 2_000;
    assert.deepEqual(await kinds(), ["escalate:boss"]);
    clock.ms += 3600_000;
    assert.deepEqual(await kinds(), [], "escalated once, then left alone");
    const inbox = await mesh.store.range(mesh.keys.inbox("bob"));
    assert.deepEqual(inbox.map((e) => e.fields.msg), [
      "review?",
      "[re-ping] review?",
      "[re-ping] review?",
    ]);
  });
});

Deno.test("a request's record counts as done once its asker's time is up, by the mesh's clock", async () => {
  await withClockedMesh(async (mesh, clock) => {
    const asking = mesh.request({ from: "alice", to: "bob", text: "status?", timeoutMs: 60_000 });
    const [entry] = await waitForEntry(mesh, "bob");
    const nonce = entry.fields.id;
    assert.equal((await askOf(mesh, nonce))?.state, "waiting");
    clock.ms += 61_000;
    assert.equal((await askOf(mesh, nonce))?.state, "done", "the asker's time is up");
    await assert.rejects(
      mesh.reply({ from: "bob", replyTo: entry.fields.reply_to, text: "late" }),
      /Nobody waits for a reply/,
    );
    // Back within its time, the reply is taken, and the real wait ends with it.
    clock.ms -= 61_000;
    await mesh.reply({ from: "bob", replyTo: entry.fields.reply_to, text: "fine" });
    assert.equal((await asking).reply?.text, "fine");
  });
});

async function waitForEntry(mesh: Mesh, name: string) {
  const got = await mesh.store.read({ [mesh.keys.inbox(name)]: "0" }, { blockMs: 20_000 });
  return got[0].entries;
}
