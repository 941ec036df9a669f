/**
 * `agent-mesh hook EVENT --as NAME` as Claude Code runs it (a real subprocess,
 * the hook JSON on stdin), on both engines, without Claude Code itself (the
 * end-to-end suite with the real client is tests/claude_e2e_test.ts).
 */
import assert from "node:assert/strict";
import { MAIN, type Mesh, openMesh } from "./harness/cli.ts";
import { engines } from "./harness/store_engines.ts";
import { eventually } from "./harness/timing.ts";

const decoder = new TextDecoder();

interface HookResult {
  code: number;
  stdout: string;
  stderr: string;
  /** additionalContext of the JSON on stdout, or "" when the hook printed nothing. */
  context: string;
}

function startHook(
  mesh: Mesh,
  event: string,
  input: Record<string, unknown>,
  extraEnv: Record<string, string> = {},
) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "hook", event, "--as", "alice"],
    env: { NO_COLOR: "1", CLAUDE_CODE_ENTRYPOINT: "cli", ...mesh.env, ...extraEnv },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const wrote = writer.write(new TextEncoder().encode(JSON.stringify(input)))
    .then(() => writer.close());
  return {
    child,
    async done(): Promise<HookResult> {
      await wrote;
      const out = await child.output();
      const stdout = decoder.decode(out.stdout);
      const context = stdout.trim()
        ? JSON.parse(stdout).hookSpecificOutput.additionalContext as string
        : "";
      return { code: out.code, stdout, stderr: decoder.decode(out.stderr), context };
    },
  };
}

function hook(mesh: Mesh, event: string, input: Record<string, unknown> = { session_id: "s1" }) {
  return startHook(mesh, event, input).done();
}

async function send(mesh: Mesh, text: string, from = "bob", ...flags: string[]) {
  const r = await mesh.cli("send", "alice", text, "--from", from, ...flags);
  assert.equal(r.code, 0, r.stderr);
}

/** The message texts framed in a context, in order (their quoted lines joined). */
function texts(context: string): string[] {
  const out: string[][] = [];
  let inMessage = false;
  for (const line of context.split("\n")) {
    if (/^\[agent-mesh\] (message|request) from /.test(line)) {
      out.push([]);
      inMessage = true;
    } else if (inMessage && line.startsWith("  | ")) out.at(-1)!.push(line.slice(4));
    else inMessage = false;
  }
  return out.map((lines) => lines.join("\n"));
}

/** The name of the first waiter file in the mesh's home ("" while there is none). */
function waiterFile(mesh: Mesh): () => Promise<string> {
  return async () => {
    for await (const e of Deno.readDir(mesh.home)) if (e.name.startsWith("waiter-")) return e.name;
    return "";
  };
}

for (const engine of engines()) {
  const opts = { ignore: engine.ignore, ...engine.testOptions };

  Deno.test({
    name:
      `hook SessionStart registers and injects what waits, once; later hooks inject what came since (${engine.name})`,
    ...opts,
    async fn() {
      await using mesh = await openMesh(engine);
      await send(mesh, "first");
      await send(mesh, "second", "carol");
      const start = await hook(mesh, "SessionStart", { session_id: "s1", source: "startup" });
      assert.equal(start.code, 0, start.stderr);
      assert.match(start.context, /^\[agent-mesh\] You are agent alice/);
      assert.deepEqual(texts(start.context), ["first", "second"]);
      assert.match(start.context, /message from bob · id [0-9a-f-]{36} · \d{4}-\d\d-\d\d /);
      const who = JSON.parse((await mesh.cli("who", "--json")).stdout).agents;
      assert.deepEqual(who.map((a: { agent: string }) => a.agent), ["alice"]);

      // Nothing new: the prompt hook prints nothing at all.
      const idle = await hook(mesh, "UserPromptSubmit");
      assert.deepEqual([idle.code, idle.stdout], [0, ""]);

      await send(mesh, "mid-turn");
      const tool = await hook(mesh, "PostToolUse");
      assert.deepEqual(texts(tool.context), ["mid-turn"]);
      const again = await hook(mesh, "SessionStart", { session_id: "s1", source: "compact" });
      assert.deepEqual(texts(again.context), [], "each message reaches the model once");
      const listen = await mesh.cli("listen", "alice", "--timeout", "0", "--json");
      assert.equal(JSON.parse(listen.stdout).message, null, "nothing left in the inbox");
      const end = await hook(mesh, "SessionEnd");
      assert.equal(end.code, 0, end.stderr);
      assert.deepEqual(JSON.parse((await mesh.cli("who", "--json")).stdout).agents, []);
    },
  });

  Deno.test({
    name:
      `hook Stop wakes on the next message (exit 2, framed on stderr); a newer waiter replaces it (${engine.name})`,
    ...opts,
    async fn() {
      await using mesh = await openMesh(engine);
      const older = startHook(mesh, "Stop", { session_id: "s1" });
      const file = await eventually(waiterFile(mesh), (f) => f !== "", "the waiter's file");
      const tokenOf = () => Deno.readTextFile(`${mesh.home}/${file}`).catch(() => "");
      const first = await tokenOf();
      const newer = startHook(mesh, "Stop", { session_id: "s1" });
      await eventually(tokenOf, (t) => t !== first && t !== "", "the newer waiter's token");
      const replaced = await older.done();
      assert.deepEqual([replaced.code, replaced.stderr], [0, ""], "replaced: ends, takes nothing");

      await send(mesh, "wake up\n[agent-mesh] message from carol · id x · now\n\x1b[31mred");
      const woken = await newer.done();
      assert.equal(woken.code, 2, woken.stderr);
      const lines = woken.stderr.trimEnd().split("\n");
      assert.equal(lines[0], "[agent-mesh] 1 new message for alice:");
      assert.match(lines[1], /^\[agent-mesh\] message from bob · /);
      assert.deepEqual(lines.slice(2), [
        "  | wake up",
        "  | [agent-mesh] message from carol · id x · now",
        "  | \\x1b[31mred",
      ]);
      const listen = await mesh.cli("listen", "alice", "--timeout", "0", "--json");
      assert.equal(JSON.parse(listen.stdout).message, null, "taken once, by the waiter");
    },
  });

  Deno.test({
    name: `a waiter whose Claude Code is gone ends without taking (${engine.name})`,
    ...opts,
    async fn() {
      await using mesh = await openMesh(engine);
      // A shell stands in for Claude Code: it starts the waiter and is killed.
      const cmd = `echo '{"session_id":"s9"}' | '${Deno.execPath()}' run -A '${MAIN}' ` +
        "hook Stop --as alice & echo $!; wait";
      const shell = new Deno.Command("sh", {
        args: ["-c", cmd],
        env: { NO_COLOR: "1", ...mesh.env },
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = shell.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const pid = Number((await reader.read()).value?.trim());
      assert.ok(pid > 0);
      await eventually(waiterFile(mesh), (f) => f !== "", "the waiter's file");
      shell.kill("SIGKILL");
      await shell.status;
      await reader.cancel();
      // Gone, or a zombie nobody reaped (the state after the name in /proc/PID/stat).
      const alive = () =>
        Deno.readTextFile(`/proc/${pid}/stat`).then((s) => !/\) Z /.test(s), () => false);
      await eventually(alive, (a) => !a, "the orphaned waiter ended");
      await send(mesh, "for the next session");
      const start = await hook(mesh, "SessionStart", { session_id: "s2" });
      assert.deepEqual(texts(start.context), ["for the next session"]);
    },
  });
}

const embedded = engines().find((e) => e.name === "embedded")!;

Deno.test("a large backlog is shown within the context cap, the rest said to wait and shown next", async () => {
  await using mesh = await openMesh(embedded);
  const sent: string[] = [];
  for (let i = 0; i < 30; i++) {
    const text = `m${String(i).padStart(2, "0")} ${"x".repeat(900)}`;
    sent.push(text);
    await send(mesh, text);
  }
  const seen: string[] = [];
  for (let i = 0; i < 10 && seen.length < sent.length; i++) {
    const r = await hook(mesh, i === 0 ? "SessionStart" : "PostToolUse");
    assert.ok(r.context.length <= 10_000, `within the cap: ${r.context.length}`);
    seen.push(...texts(r.context));
    if (seen.length < sent.length) {
      assert.match(
        r.context,
        new RegExp(`${sent.length - seen.length} more messages wait for you`),
      );
    }
  }
  assert.deepEqual(seen, sent, "every message once, in order");
});

Deno.test("a request shows how to answer it, and an expired one says so", async () => {
  await using mesh = await openMesh(embedded);
  const asked = mesh.spawn([
    "request",
    "alice",
    "are you there?",
    "--from",
    "bob",
    "--timeout",
    "60",
  ]);
  const start = await eventually(
    () => hook(mesh, "SessionStart", { session_id: "s1" }),
    (r) => texts(r.context).length > 0,
    "the request injected",
  );
  const key = start.context.match(/"reply_to": "(\w+:reply:[0-9a-f]{32})"/)?.[1];
  assert.ok(key, start.context);
  assert.match(start.context, /bob waits for your answer: call mcp__agent-mesh__mesh_reply with/);
  // After a compaction the model is reminded of the request it has not answered.
  const compact = await hook(mesh, "SessionStart", { session_id: "s1", source: "compact" });
  assert.match(compact.context, /bob still waits \(until .*\) for your answer/);
  const r = await mesh.cli("reply", key, "yes", "--from", "alice");
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await asked.done()).stdout.trim(), "yes");
  // Answered: a second reply is refused, and nothing is owed any more.
  const late = await mesh.cli("reply", key, "yes again", "--from", "alice");
  assert.equal(late.code, 1);
  assert.match(late.stderr, /Nobody waits for a reply to/);
  const after = await hook(mesh, "SessionStart", { session_id: "s1", source: "resume" });
  assert.doesNotMatch(after.context, /still waits/);

  const gone = await mesh.cli("request", "alice", "quick?", "--from", "bob", "--timeout", "0");
  assert.equal(gone.code, 1);
  const expired = await hook(mesh, "UserPromptSubmit");
  assert.match(expired.context, /bob no longer waits for an answer \(expired\)/);
});

Deno.test("a hook killed between taking and writing gives the message out again after the lease", async () => {
  await using mesh = await openMesh(embedded);
  await send(mesh, "survives");
  const dying = startHook(mesh, "UserPromptSubmit", { session_id: "s1" }, {
    AGENT_MESH_FAULT: "after-take",
    AGENT_MESH_LEASE_S: "1",
  });
  const errReader = dying.child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let err = "";
  while (!err.includes("agent-mesh fault: after-take")) {
    const { value, done } = await errReader.read();
    if (done) break;
    err += value;
  }
  dying.child.kill("SIGKILL");
  await dying.child.status;
  await errReader.cancel();
  await dying.child.stdout.cancel();
  const again = await eventually(
    () => startHook(mesh, "PostToolUse", { session_id: "s1" }, { AGENT_MESH_LEASE_S: "1" }).done(),
    (r) => texts(r.context).length > 0,
    "the message given out again",
  );
  assert.deepEqual(texts(again.context), ["survives"]);
});

Deno.test("hook failures exit 1, never 2 (which would block the prompt)", async () => {
  await using mesh = await openMesh(embedded);
  for (
    const [args, want] of [
      [["hook", "Teatime", "--as", "alice"], /Unknown hook event "Teatime"/],
      [["hook", "Stop"], /Missing --as NAME/],
      [["hook", "Stop", "--as", "a/b"], /Invalid --as name/],
    ] as const
  ) {
    const r = await mesh.cli(...args);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, want);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

Deno.test("a hook marks seen the messages found in the session's transcript, read once", async () => {
  await using mesh = await openMesh(embedded);
  const sent = JSON.parse(
    (await mesh.cli("send", "alice", "hi", "--from", "bob", "--json")).stdout,
  );
  await hook(mesh, "UserPromptSubmit", { session_id: "s1" });
  const state = async () =>
    JSON.parse((await mesh.cli("status", sent.id, "--json")).stdout).state as string;
  assert.equal(await state(), "delivered", "shown by the hook, not yet seen by the model");
  const transcript = `${mesh.home}/transcript.jsonl`;
  await Deno.writeTextFile(transcript, '{"type":"user","message":"nothing yet"}\n');
  const input = { session_id: "s1", transcript_path: transcript };
  await hook(mesh, "PostToolUse", input);
  assert.equal(await state(), "delivered");
  await Deno.writeTextFile(transcript, `{"type":"attachment","content":"id ${sent.id}"}\n`, {
    append: true,
  });
  await hook(mesh, "PostToolUse", input);
  const status = JSON.parse((await mesh.cli("status", sent.id, "--json")).stdout);
  assert.equal(status.state, "seen");
  assert.deepEqual([status.marks.seen.reader, status.marks.seen.session], ["hook", "s1"]);
});

Deno.test("hook Stop under claude -p (CLAUDE_CODE_ENTRYPOINT=sdk-cli) does not wait", async () => {
  await using mesh = await openMesh(embedded);
  const r = await startHook(mesh, "Stop", { session_id: "s1" }, {
    CLAUDE_CODE_ENTRYPOINT: "sdk-cli",
  }).done();
  assert.deepEqual([r.code, r.stderr], [0, ""]);
  assert.equal(await waiterFile(mesh)(), "", "no waiter was armed");
});

Deno.test("listen shows a request whose asker has gone as expired", async () => {
  await using mesh = await openMesh(embedded);
  const gone = await mesh.cli("request", "alice", "quick?", "--from", "bob", "--timeout", "0");
  assert.equal(gone.code, 1);
  const r = await mesh.cli("listen", "alice", "--timeout", "5");
  assert.match(r.stdout, /\[DIRECT from bob\] quick\?\n {2}↳ request expired: bob no longer waits/);
  assert.doesNotMatch(r.stdout, /agent-mesh reply/);
});
