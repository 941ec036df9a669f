/**
 * The reply chase: an overdue `--expect-reply` message is re-pinged and, once its
 * tries are spent, escalated (to AGENT_MESH_ESCALATE_TO), by a monitor, a bound MCP
 * session and a Claude Code hook of its sender; a message from the peer clears it.
 * Ledger deadlines are written in the past, so nothing waits for the clock.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MAIN, type Mesh, openMesh } from "./harness/cli.ts";
import { stdioAgent } from "./harness/mcp_server.ts";
import { engines } from "./harness/store_engines.ts";
import { eventually } from "./harness/timing.ts";

const embedded = engines().find((e) => e.name === "embedded")!;

function entry(peer: string, note: string, tries: number) {
  return {
    id: crypto.randomUUID(),
    dir: "out",
    peer,
    msg_id: crypto.randomUUID(),
    sent_ts: 1,
    deadline_ts: 2, // long overdue
    tries,
    note,
    escalated: false,
  };
}

async function writeLedger(mesh: Mesh, sender: string, entries: unknown[]) {
  await Deno.mkdir(mesh.home, { recursive: true });
  await Deno.writeTextFile(
    join(mesh.home, `pending-${sender}.jsonl`),
    entries.map((e) => JSON.stringify(e) + "\n").join(""),
  );
}

async function ledger(mesh: Mesh, sender: string) {
  const text = await Deno.readTextFile(join(mesh.home, `pending-${sender}.jsonl`));
  return text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

async function next(mesh: Mesh, name: string): Promise<{ from: string; text: string } | null> {
  const r = await mesh.cli("listen", name, "--timeout", "20", "--json");
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).message;
}

Deno.test("a monitor re-pings overdue replies, escalates spent ones, and a reply clears them", async () => {
  await using mesh = await openMesh(embedded);
  await writeLedger(mesh, "alice", [entry("bob", "please review", 0), entry("carol", "ship?", 4)]);
  const monitor = mesh.spawn(["monitor", "alice"], { AGENT_MESH_ESCALATE_TO: "boss" });
  await monitor.waitFor(/monitoring alice/);
  const reping = await next(mesh, "bob");
  assert.deepEqual([reping?.from, reping?.text], ["alice", "[re-ping] please review"]);
  const escalation = await next(mesh, "boss");
  assert.deepEqual(
    [escalation?.from, escalation?.text],
    ["alice", "[escalate] no reply from carol for: ship?"],
  );
  const [bob, carol] = await ledger(mesh, "alice");
  assert.deepEqual([bob.tries, bob.escalated, carol.escalated], [1, false, true]);
  assert.ok(bob.deadline_ts > Date.now() / 1000, "the next re-ping waits for the backoff");

  // bob answers: the monitor shows it, and the entries for bob go.
  const r = await mesh.cli("send", "alice", "looks good", "--from", "bob");
  assert.equal(r.code, 0, r.stderr);
  await monitor.waitFor(/looks good/);
  // Cleared when the message is acknowledged, just after it is shown.
  const left = await eventually(
    () => ledger(mesh, "alice"),
    (l) => l.length === 1,
    "bob's entry cleared",
  );
  assert.deepEqual(left.map((e) => e.peer), ["carol"]);
});

Deno.test("AGENT_MESH_REPING_S sets the tries and backoff; a bad value is refused", async () => {
  await using mesh = await openMesh(embedded);
  await writeLedger(mesh, "alice", [entry("bob", "one try", 1)]);
  // One try allowed, one spent: the next step is the escalation, to the default target.
  const r = await mesh.cliEnv({ AGENT_MESH_REPING_S: "5" }, "listen", "alice", "--timeout", "0");
  assert.ok([0, 1].includes(r.code), r.stderr); // a listen that timed out
  const escalation = await next(mesh, "watchdog");
  assert.equal(escalation?.text, "[escalate] no reply from bob for: one try");
  const bad = await mesh.cliEnv({ AGENT_MESH_REPING_S: "30,0" }, "who");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Invalid AGENT_MESH_REPING_S "30,0"/);
  const badTarget = await mesh.cliEnv({ AGENT_MESH_ESCALATE_TO: "a b" }, "who");
  assert.equal(badTarget.code, 2);
  assert.match(badTarget.stderr, /Invalid AGENT_MESH_ESCALATE_TO/);
});

Deno.test("a Claude Code session chases: the hook re-pings and tells the model, naming an unheard target", async () => {
  await using mesh = await openMesh(embedded);
  await writeLedger(mesh, "alice", [entry("bob", "please review", 0), entry("carol", "ship?", 4)]);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "hook", "UserPromptSubmit", "--as", "alice"],
    env: { ...mesh.env, AGENT_MESH_ESCALATE_TO: "nobody-here" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode('{"session_id":"s1"}'));
  await w.close();
  const out = await child.output();
  const context = JSON.parse(new TextDecoder().decode(out.stdout)).hookSpecificOutput
    .additionalContext as string;
  assert.match(
    context,
    /no reply yet from bob: re-pinged it \(try 1\) about:\n {2}\| please review/,
  );
  assert.match(context, /escalated to nobody-here \(no agent nobody-here is on the mesh/);
  assert.equal((await next(mesh, "bob"))?.text, "[re-ping] please review");
});

Deno.test("a bound MCP session chases its agent's overdue replies once it is used", async () => {
  await using mesh = await openMesh(embedded);
  await writeLedger(mesh, "alice", [entry("bob", "please review", 0)]);
  await using alice = await stdioAgent(mesh.env, ["--as", "alice"]);
  await alice.call("mesh_who");
  assert.equal((await next(mesh, "bob"))?.text, "[re-ping] please review");
});

Deno.test("monitor says when it re-pings and escalates, and warns when nobody hears it", async () => {
  await using mesh = await openMesh(embedded);
  await writeLedger(mesh, "alice", [entry("bob", "please review", 0), entry("carol", "ship?", 4)]);
  const monitor = mesh.spawn(["monitor", "alice", "--role", "chaser"], {
    AGENT_MESH_ESCALATE_TO: "nobody",
  });
  await monitor.waitFor(/\[re-ping → bob\] no reply yet \(try 1\): please review/);
  await monitor.waitFor(/\[escalate → nobody\] no reply from carol: ship\?/);
  await monitor.waitFor(/warning: no agent nobody is on the mesh/);
  const who = JSON.parse((await mesh.cli("who", "--json")).stdout).agents;
  assert.deepEqual(who.map((a: { role: string }) => a.role), ["chaser"]);
});

Deno.test("pending cancel ID and pending clear PEER drop entries without messaging anyone", async () => {
  await using mesh = await openMesh(embedded);
  const a = entry("bob", "one", 0);
  await writeLedger(mesh, "alice", [a, entry("bob", "two", 0), entry("carol", "three", 0)]);
  const env = { AGENT_MESH_AGENT: "alice" };
  const cancel = await mesh.cliEnv(env, "pending", "cancel", a.id);
  assert.equal(cancel.code, 0, cancel.stderr);
  assert.deepEqual((await ledger(mesh, "alice")).map((e) => e.note), ["two", "three"]);
  const clear = await mesh.cliEnv(env, "pending", "clear", "bob", "--json");
  assert.deepEqual(JSON.parse(clear.stdout), { removed: 1 });
  assert.deepEqual((await ledger(mesh, "alice")).map((e) => e.note), ["three"]);
  const missing = await mesh.cliEnv(env, "pending", "cancel", "nope");
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /No pending entry "nope" for alice/);
  const anonymous = await mesh.cli("pending", "clear", "carol");
  assert.equal(anonymous.code, 2);
  // Nothing was sent to anyone.
  const r = await mesh.cli("listen", "bob", "--timeout", "0", "--json");
  assert.equal(JSON.parse(r.stdout).message, null);
});

Deno.test("who says who listens now, not only who is registered", async () => {
  await using mesh = await openMesh(embedded);
  await mesh.cli("register", "idle", "--role", "claims a name only");
  const monitor = mesh.spawn(["monitor", "busy"]);
  await monitor.waitFor(/monitoring busy/);
  const listening = async () =>
    Object.fromEntries(
      JSON.parse((await mesh.cli("who", "--json")).stdout).agents.map((
        a: { agent: string; listening: string | null },
      ) => [a.agent, a.listening]),
    );
  assert.deepEqual(await listening(), { busy: "monitor", idle: null });
  const text = (await mesh.cli("who")).stdout.split("\n");
  assert.match(text[0], /^NAME\s+LISTENING\s+PID\s+SEEN\s+ROLE$/);
  assert.match(text.find((l) => l.startsWith("busy"))!, /^busy\s+monitor\s/);
  assert.match(text.find((l) => l.startsWith("idle"))!, /^idle\s+-\s/);
  monitor.kill("SIGTERM");
  await monitor.done();
  assert.deepEqual(await listening(), { idle: null }, "a stopped monitor deregisters");
});
