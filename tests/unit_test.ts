/** Unit tests of the pure logic: gate windows, backoff schedule, ledger, names, config. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { gateVerdict } from "../lib/mesh/gate.ts";
import { backoffSeconds, Ledger, type LedgerEntry, planOverdue } from "../lib/mesh/ledger.ts";
import { checkName } from "../lib/names.ts";
import { agentFile } from "../lib/paths.ts";
import { loadConfig } from "../lib/config.ts";
import { ConfigError, UsageError } from "../lib/errors.ts";
import { Keys } from "../lib/mesh/keys.ts";
import { notifyLine, parseEntry } from "../lib/mesh/message.ts";

Deno.test("gateVerdict() allows up to the limit, then observes or denies", () => {
  assert.equal(gateVerdict(1, 2, false), "allow");
  assert.equal(gateVerdict(2, 2, true), "allow");
  assert.equal(gateVerdict(3, 2, false), "observe");
  assert.equal(gateVerdict(3, 2, true), "deny");
});

Deno.test("backoffSeconds() follows 30/60/120/240 and stays at 240", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 9].map((t) => backoffSeconds(t)), [30, 60, 120, 240, 240, 240]);
});

function entry(over: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    id: "e1",
    dir: "out",
    peer: "bob",
    msg_id: "m1",
    sent_ts: 1000,
    deadline_ts: 1120,
    tries: 0,
    note: "please respond",
    escalated: false,
    ...over,
  };
}

Deno.test("planOverdue() re-pings with backoff, escalates once after 4 tries", () => {
  let entries = [entry()];
  assert.equal(planOverdue(entries, 1119).actions.length, 0, "not yet due");
  const times: number[] = [];
  const kinds: string[] = [];
  for (let now = 1120; now < 2000; now++) {
    const plan = planOverdue(entries, now);
    for (const a of plan.actions) {
      times.push(now);
      kinds.push(a.kind);
    }
    entries = plan.entries;
  }
  assert.deepEqual(kinds, ["reping", "reping", "reping", "reping", "escalate"]);
  assert.deepEqual(times, [1120, 1150, 1210, 1330, 1570]);
  assert.equal(entries[0].tries, 4);
  assert.equal(entries[0].escalated, true);
});

Deno.test("Ledger keeps every entry under concurrent updates", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => new Ledger(home, "me").add(entry({ id: `e${i}` }))),
    );
    const ledger = new Ledger(home, "me");
    assert.equal((await ledger.list()).length, 20);
    assert.equal(await ledger.removePeer("bob"), 20);
    assert.equal(await ledger.removePeer("bob"), 0);
    const text = await Deno.readTextFile(join(home, "pending-me.jsonl"));
    assert.equal(text, "");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("checkName() accepts the original's names and refuses others", () => {
  for (const ok of ["a", "cortex", "A_b-9", "x".repeat(64)]) assert.equal(checkName(ok), ok);
  for (const bad of ["", "a b", "a/b", "..", "a.b", "é", "x".repeat(65), "a\nb"]) {
    assert.throws(() => checkName(bad), UsageError);
  }
});

Deno.test("agentFile() keeps every file inside the home folder", () => {
  assert.equal(agentFile("/h", "notify", "bob"), join("/h", "notify-bob.log"));
  assert.equal(agentFile("/h", "groupCursor", "bob"), join("/h", "bob_group.id"));
  assert.throws(() => agentFile("/h", "pending", "../x"), UsageError);
});

Deno.test("loadConfig() reads defaults and names a bad variable", () => {
  const env = (vars: Record<string, string>) => (k: string) => vars[k];
  const c = loadConfig(env({ HOME: "/home/u" }));
  assert.equal(c.prefix, "mesh");
  assert.equal(c.gateLimit, 40);
  assert.equal(c.gateEnforce, false);
  assert.equal(c.home, join("/home/u", ".cache", "agent-mesh"));
  assert.equal(c.dbPath, join(c.home, "mesh.db"));
  assert.equal(c.redisUrl, undefined);
  assert.equal(
    loadConfig(env({ USERPROFILE: "C:\\Users\\u" })).home.startsWith("C:\\Users\\u"),
    true,
  );
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ AGENT_MESH_GATE_LIMIT: "0" }, /AGENT_MESH_GATE_LIMIT/],
    [{ AGENT_MESH_GATE_ENFORCE: "maybe" }, /AGENT_MESH_GATE_ENFORCE/],
    [{ AGENT_MESH_REDIS_URL: "http://x" }, /AGENT_MESH_REDIS_URL/],
    [{ AGENT_MESH_REDIS_URL: "redis://x/abc" }, /AGENT_MESH_REDIS_URL/],
    [{ AGENT_MESH_PREFIX: "a b" }, /AGENT_MESH_PREFIX/],
    [{ AGENT_MESH_MAX_BYTES: "-5" }, /AGENT_MESH_MAX_BYTES/],
    [{ AGENT_MESH_LEASE_S: "x" }, /AGENT_MESH_LEASE_S/],
  ];
  for (const [vars, re] of bad) {
    assert.throws(() => loadConfig(env({ HOME: "/h", ...vars })), (e: Error) => {
      return e instanceof ConfigError && re.test(e.message);
    });
  }
  assert.equal(loadConfig(env({ HOME: "/h", AGENT_MESH_PREFIX: "{mesh}" })).prefix, "{mesh}");
});

Deno.test("Keys builds the original's layout and recognises only real reply keys", () => {
  const k = new Keys("{mesh}");
  assert.equal(k.inbox("bob"), "{mesh}:to_bob");
  assert.equal(k.rate("a", "b"), "{mesh}:gate:rate:a->b");
  assert.equal(k.registry("a"), "{mesh}:registry:a");
  assert.equal(k.isReplyKey(`{mesh}:reply:${"0f".repeat(16)}`), true);
  assert.equal(k.isReplyKey(`mesh:reply:${"0f".repeat(16)}`), false);
  assert.equal(k.isReplyKey(`{mesh}:reply:${"0f".repeat(16)}x`), false);
});

Deno.test("parseEntry() reads the original's inbox entries", () => {
  const ping = parseEntry({
    id: "1-0",
    fields: { from: "a", msg_type: "ping", nonce: "ab".repeat(16), ts: "1" },
  });
  assert.equal(ping?.kind, "ping");
  const req = parseEntry({
    id: "1-1",
    fields: { from: "a", msg: "q", reply_to: "mesh:reply:x", ts: "2", id: "n" },
  });
  assert.deepEqual(req, {
    kind: "message",
    message: { from: "a", text: "q", id: "n", ts: "2", reply_to: "mesh:reply:x" },
  });
  assert.equal(parseEntry({ id: "1-2", fields: { junk: "1" } }), null);
  assert.equal(notifyLine({ from: "a", text: "x\r\ny", id: "", ts: "" }), "📨 a: x  y\n");
});
