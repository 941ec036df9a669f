/**
 * The heart of agent-mesh, end to end with the REAL Claude Code client (pinned, run against
 * a stand-in model on loopback; tests/harness/claude/): a project set up with
 * `agent-mesh setup claude-code --as alice`, then sessions that send, get messages at their
 * start, are woken when idle, see messages mid-turn, answer requests, and lose nothing when
 * Claude Code is killed. Cases a–c run on both engines.
 */
import assert from "node:assert/strict";
import { MAIN, type Mesh, openMesh } from "./harness/cli.ts";
import { engines } from "./harness/store_engines.ts";
import { eventually } from "./harness/timing.ts";
import {
  type ClaudeHome,
  cmdlineOf,
  isRunning,
  lastPrompt,
  makeHome,
  type ModelRequest,
  runPrint,
  type StandInModel,
  startInteractive,
  startModel,
  stepOfTurn,
  turnScript,
} from "./harness/claude/mod.ts";
import { skipClaude } from "./harness/claude/skip.ts";

const noClaude = skipClaude();
const decoder = new TextDecoder();

/** A marker no request can hold by chance. */
const marker = (what: string) => `${what}-${crypto.randomUUID().slice(0, 8)}`;

/** A model, a client home, and a mesh; the project set up as agent alice by the real CLI. */
async function world(engineName: "embedded" | "redis") {
  const engine = engines().find((e) => e.name === engineName)!;
  const mesh = await openMesh(engine);
  const model = startModel();
  const home = await makeHome({ modelUrl: model.url });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "setup", "claude-code", "--as", "alice", "--role", "e2e"],
    cwd: home.project,
    env: { ...home.env, ...mesh.env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, decoder.decode(out.stderr));
  return {
    mesh,
    model,
    home,
    async [Symbol.asyncDispose]() {
      await home[Symbol.asyncDispose]();
      await model[Symbol.asyncDispose]();
      await mesh[Symbol.asyncDispose]();
    },
  };
}

async function send(mesh: Mesh, to: string, text: string, from = "bob") {
  const r = await mesh.cli("send", to, text, "--from", from);
  assert.equal(r.code, 0, r.stderr);
}

/** How many times `text` occurs in the request. */
function count(req: ModelRequest, text: string): number {
  return req.text.split(text).length - 1;
}

/** Resolves once alice's Stop-hook waiter is armed (its file in the agent-mesh home). */
function waiterArmed(mesh: Mesh): Promise<string> {
  return eventually(
    async () => {
      for await (const e of Deno.readDir(mesh.home)) {
        if (e.name.startsWith("waiter-alice-")) return e.name;
      }
      return "";
    },
    (f) => f !== "",
    "alice's waiter armed",
    90_000,
  );
}

/** An interactive session that has run one turn and is now idle, its waiter armed. */
async function idleSession(home: ClaudeHome, model: StandInModel, mesh: Mesh, args: string[] = []) {
  const session = await startInteractive(home, { args });
  await session.waitReady();
  await session.waitForMcp("agent-mesh");
  await session.submit("go idle");
  await model.waitForRequest((r) => r.isTurn && lastPrompt(r).includes("go idle"), 90_000);
  await waiterArmed(mesh);
  return session;
}

const OPTS = { sanitizeOps: false, sanitizeResources: false };

for (const engine of engines()) {
  const ignore = noClaude || engine.ignore;

  Deno.test({
    name: `a. the model's mesh_send reaches agent-mesh listen as from alice (${engine.name})`,
    ignore,
    ...OPTS,
    async fn() {
      await using w = await world(engine.name);
      const text = marker("HELLO-BOB");
      w.model.setScript(turnScript([
        { tool: "mcp__agent-mesh__mesh_send", input: { to: "bob", message: text } },
        "sent",
      ]));
      const out = await runPrint(w.home, "tell bob hello", {
        allowedTools: ["mcp__agent-mesh__mesh_send"],
        timeoutMs: 90_000,
      });
      assert.equal(out.code, 0, out.stderr);
      const got = await w.mesh.cli("listen", "bob", "--timeout", "10", "--json");
      const m = JSON.parse(got.stdout).message;
      assert.deepEqual([m?.from, m?.text], ["alice", text], got.stdout);
    },
  });

  Deno.test({
    name:
      `b. messages sent while no session ran reach the next session's model once, after claude mcp list (${engine.name})`,
    ignore,
    ...OPTS,
    async fn() {
      await using w = await world(engine.name);
      const one = marker("WHILE-AWAY-1");
      const two = marker("WHILE-AWAY-2");
      await send(w.mesh, "alice", one, "bob");
      await send(w.mesh, "alice", two, "carol");
      // A health check starts the server and lists its tools: it must take nothing.
      const list = await new Deno.Command("claude", {
        args: ["mcp", "list"],
        cwd: w.home.project,
        env: w.home.env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.match(
        decoder.decode(list.stdout),
        /agent-mesh.*Connected/,
        decoder.decode(list.stderr),
      );
      const first = await runPrint(w.home, "anything for me?", { timeoutMs: 90_000 });
      assert.equal(first.code, 0, first.stderr);
      const turn = await w.model.waitForRequest((r) => r.isTurn);
      assert.deepEqual([count(turn, one), count(turn, two)], [1, 1], turn.text);
      assert.match(turn.text, /\[agent-mesh\] message from bob · id /);
      // Once: the next session is not shown them again.
      const before = w.model.requests.length;
      const second = await runPrint(w.home, "and now?", { timeoutMs: 90_000 });
      assert.equal(second.code, 0, second.stderr);
      const next = await w.model.waitForRequest((r) => r.isTurn, 10_000, before);
      assert.deepEqual([count(next, one), count(next, two)], [0, 0]);
    },
  });

  Deno.test({
    name: `c. an idle interactive session is woken by agent-mesh send (${engine.name})`,
    ignore,
    ...OPTS,
    async fn() {
      await using w = await world(engine.name);
      await using _session = await idleSession(w.home, w.model, w.mesh);
      const before = w.model.requests.length;
      const text = marker("WAKE-UP");
      await send(w.mesh, "alice", text);
      const woken = await w.model.waitForRequest(
        (r) => r.isTurn && r.text.includes(text),
        90_000,
        before,
      );
      assert.equal(count(woken, text), 1, woken.text);
      assert.match(woken.text, /\[agent-mesh\] 1 new message for alice/);
    },
  });
}

const embeddedIgnore = noClaude;

Deno.test({
  name: "d. a message sent during a turn of several tool calls reaches a later request of it",
  ignore: embeddedIgnore,
  ...OPTS,
  async fn() {
    await using w = await world("embedded");
    const notes = await w.home.writeProjectFile("notes.txt", "harmless\n");
    const text = marker("MID-TURN");
    let sent = false;
    const steps = turnScript([
      { tool: "Read", input: { file_path: notes } },
      { tool: "Read", input: { file_path: notes } },
      "done",
    ]);
    w.model.setScript(async (req) => {
      // After the first tool call, another agent writes; the turn goes on.
      if (req.isTurn && stepOfTurn(req) === 1 && !sent) {
        sent = true;
        await send(w.mesh, "alice", text);
      }
      return steps(req);
    });
    const out = await runPrint(w.home, "read the notes twice", {
      allowedTools: ["Read"],
      timeoutMs: 90_000,
    });
    assert.equal(out.code, 0, out.stderr);
    const turn = w.model.requests.filter((r) => r.isTurn);
    assert.deepEqual(turn.map(stepOfTurn), [0, 1, 2], w.model.describe());
    assert.equal(count(turn[1], text), 0);
    assert.equal(count(turn[2], text), 1, turn[2].text);
  },
});

Deno.test({
  name: "e. agent-mesh request wakes an idle session whose model answers with mesh_reply",
  ignore: embeddedIgnore,
  ...OPTS,
  async fn() {
    await using w = await world("embedded");
    const question = marker("WHAT-IS-6x7");
    w.model.setScript((req) => {
      if (!req.isTurn || !req.text.includes(question)) return undefined;
      const key = req.text.match(/"reply_to": "(\S+:reply:[0-9a-f]{32})"/)?.[1];
      return turnScript([
        { tool: "mcp__agent-mesh__mesh_reply", input: { reply_to: key, text: "42" } },
        "answered",
      ])(req);
    });
    await using _session = await idleSession(w.home, w.model, w.mesh, [
      "--allowedTools",
      "mcp__agent-mesh__mesh_reply",
    ]);
    const asked = await w.mesh.cli(
      "request",
      "alice",
      question,
      "--from",
      "bob",
      "--timeout",
      "90",
    );
    assert.equal(asked.code, 0, asked.stderr);
    assert.equal(asked.stdout.trim(), "42");
  },
});

Deno.test({
  name: "f. Claude Code killed while idle: nothing lost, no waiter left, the next session gets it",
  ignore: embeddedIgnore,
  ...OPTS,
  async fn() {
    await using w = await world("embedded");
    const session = await idleSession(w.home, w.model, w.mesh);
    const waiters = w.home.processes().filter((p) =>
      cmdlineOf(p)?.includes("hook Stop --as alice")
    );
    assert.ok(waiters.length >= 1, "a waiter runs while the session is idle");
    session.kill("SIGKILL");
    await eventually(
      () => Promise.resolve(isRunning(session.pid)),
      (running) => !running,
      "claude killed",
    );
    const text = marker("WHILE-DEAD");
    const sent = await w.mesh.cli("send", "alice", text, "--from", "bob", "--json");
    const sentId = JSON.parse(sent.stdout).id;
    await eventually(
      () => Promise.resolve(waiters.filter(isRunning)),
      (left) => left.length === 0,
      "the orphaned waiter ended",
    );
    await eventually(
      // Of what the session started (the harness's own tmux server aside): the client,
      // its MCP server and its hooks.
      () =>
        Promise.resolve(
          w.home.processes().map((p) => cmdlineOf(p) ?? "").filter((c) =>
            c.includes(MAIN) || /^claude\b/.test(c)
          ),
        ),
      (left) => left.length === 0,
      "nothing of the dead session runs",
    );
    await session[Symbol.asyncDispose]();
    const before = w.model.requests.length;
    const next = await runPrint(w.home, "back again", { timeoutMs: 90_000 });
    assert.equal(next.code, 0, next.stderr);
    const turn = await w.model.waitForRequest((r) => r.isTurn, 10_000, before);
    const status = await w.mesh.cli("status", "--json", sentId);
    assert.equal(count(turn, text), 1, `${status.stdout}\n${turn.text.slice(-3000)}`);
  },
});
