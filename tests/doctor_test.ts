/**
 * `agent-mesh doctor` end to end: real subprocesses of main.ts on both engines,
 * a Claude Code folder written by the real `setup claude-code` (HOME a temp
 * folder, the working folder a temp project), then broken one way at a time.
 */
import assert from "node:assert/strict";
import { currentDenoDir } from "./harness/paths.ts";
import { join } from "node:path";
import { type CliResult, MAIN, type Mesh, openMesh } from "./harness/cli.ts";
import { type EngineCase, engines } from "./harness/store_engines.ts";
import { eventually } from "./harness/timing.ts";
import { mismatches } from "../commands/_cli/shape.ts";
import doctorCommand from "../commands/doctor.ts";

const decoder = new TextDecoder();

const DENO_DIR = currentDenoDir();

interface Problem {
  check: string;
  problem: string;
  fix: string;
}

/** A temp HOME and project folder beside a mesh. */
interface Folder extends AsyncDisposable {
  home: string;
  project: string;
  /** `agent-mesh ...args` in the project, with only `env` among agent-mesh's variables. */
  run(args: string[], env: Record<string, string>): Promise<CliResult>;
}

async function folder(): Promise<Folder> {
  const root = await Deno.makeTempDir({ prefix: "agent-mesh-doctor-" });
  const home = join(root, "home");
  const project = join(root, "project");
  await Deno.mkdir(home);
  await Deno.mkdir(project);
  const base: Record<string, string> = { HOME: home, DENO_DIR, NO_COLOR: "1" };
  for (const v of ["PATH", "TMPDIR"]) {
    const value = Deno.env.get(v);
    if (value !== undefined) base[v] = value;
  }
  return {
    home,
    project,
    async run(args, env) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN, ...args],
        cwd: project,
        clearEnv: true, // no AGENT_MESH_* of the test runner leaks in
        env: { ...base, ...env },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: out.code,
        stdout: decoder.decode(out.stdout),
        stderr: decoder.decode(out.stderr),
      };
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** Runs `doctor --json`, checks the document against the declared shape, returns it. */
async function doctorJson(
  f: Folder,
  env: Record<string, string>,
): Promise<{ code: number; doc: Record<string, unknown> & { problems: Problem[] } }> {
  const r = await f.run(["doctor", "--json"], env);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(mismatches(doctorCommand.output, doc), [], r.stdout);
  assert.equal(r.code, doc.ok ? 0 : 1, "exit 1 exactly when problems were found");
  assert.equal(doc.ok, doc.problems.length === 0);
  return { code: r.code, doc };
}

/** The problems of `check`. */
function problemsOf(problems: Problem[], check: string): Problem[] {
  return problems.filter((p) => p.check === check);
}

/** Sets up `f`'s project as agent `name` with the real setup command. */
async function setUp(f: Folder, env: Record<string, string>, name = "alice"): Promise<void> {
  const r = await f.run(["setup", "claude-code", "--as", name], env);
  assert.equal(r.code, 0, r.stderr);
}

/** Starts `monitor NAME` and waits until it runs. */
async function monitor(m: Mesh, name: string) {
  const bg = m.spawn(["monitor", name]);
  await bg.waitFor(new RegExp(`^monitoring ${name} `));
  return bg;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

async function editJson(path: string, edit: (doc: Record<string, unknown>) => void) {
  const doc = await readJson(path);
  edit(doc);
  await Deno.writeTextFile(path, JSON.stringify(doc, null, 2));
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

for (const engine of engines()) {
  const opts = { ignore: engine.ignore, ...engine.testOptions };

  Deno.test({
    name: `${engine.name}: doctor on a folder set up by setup, with the escalation target running`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      await using f = await folder();
      await setUp(f, m.env);
      await using watchdog = await monitor(m, "watchdog");
      // A message the monitor shows: doctor then says the monitor is how watchdog receives.
      const sent = await m.cli("send", "watchdog", "hello", "--from", "alice");
      assert.equal(sent.code, 0, sent.stderr);
      await watchdog.waitFor(/\[DIRECT from alice\] hello/);

      const { code, doc } = await doctorJson(f, m.env);
      assert.equal(code, 0, JSON.stringify(doc.problems));
      assert.deepEqual(doc.problems, []);
      assert.equal(doc.engine, engine.name);
      assert.equal(doc.store_status, "reachable");
      assert.equal(doc.prefix, m.opened.prefix);
      assert.equal(doc.home, m.home);
      assert.deepEqual(doc.monitors, [{ agent: "watchdog", pid: watchdog.child.pid }]);
      const agents = doc.agents as { agent: string; receives: { reader: string } | null }[];
      const wd = agents.find((a) => a.agent === "watchdog");
      assert.ok(wd, JSON.stringify(agents));
      assert.equal(wd.receives?.reader, "monitor");
      assert.equal((wd as unknown as { monitor_pid: number }).monitor_pid, watchdog.child.pid);
      const cc = doc.claude_code as {
        folder: string;
        server: { agent: string; scope: string; approved: boolean };
        hooks: { event: string; agent: string; background: boolean }[];
        claude_md: boolean;
      };
      assert.equal(cc.folder, f.project);
      assert.equal(cc.server.agent, "alice");
      assert.equal(cc.server.scope, "project");
      assert.equal(cc.server.approved, true);
      assert.deepEqual(
        cc.hooks.map((h) => h.event).sort(),
        ["PostToolUse", "SessionEnd", "SessionStart", "Stop", "UserPromptSubmit"],
      );
      assert.ok(cc.hooks.every((h) => h.agent === "alice"));
      assert.equal(cc.claude_md, true);

      const text = await f.run(["doctor"], m.env);
      assert.equal(text.code, 0, text.stdout + text.stderr);
      const lines = text.stdout.split("\n");
      assert.ok(lines.includes("Monitors on this host (1)"), text.stdout);
      assert.ok(lines.includes(`  watchdog  pid ${watchdog.child.pid}`), text.stdout);
      assert.match(text.stdout, /^ {2}watchdog +\d+ +\d+s ago +monitor \d+s ago; monitor here/m);
      assert.match(text.stdout, /^ {2}engine +[a-z]+$/m);
      assert.ok(!/^PROBLEM/m.test(text.stdout), text.stdout);
      assert.equal(lines.filter((l) => l !== "").at(-1), "No problems found");
    },
  });

  Deno.test({
    name: `${engine.name}: doctor names an escalation target nobody runs`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      await using f = await folder();
      await setUp(f, m.env);
      await m.cli("register", "alice");
      // A monitor of lead on another mesh (another prefix), in the same home: not this mesh's lead.
      const elsewhere = m.spawn(["monitor", "lead"], { AGENT_MESH_PREFIX: `${m.opened.prefix}x` });
      await elsewhere.waitFor(/^monitoring lead /);
      const env = { ...m.env, AGENT_MESH_ESCALATE_TO: "lead" };
      const { code, doc } = await doctorJson(f, env);
      assert.equal(code, 1);
      const [p, ...more] = problemsOf(doc.problems, "escalation");
      assert.equal(more.length, 0);
      assert.match(p.problem, /^Nobody runs lead\b/);
      assert.match(p.fix, /agent-mesh monitor lead/);
      assert.deepEqual(doc.problems.filter((q) => q.check !== "escalation"), []);
    },
  });
}

/** The embedded engine: the folder checks do not depend on the engine. */
const embedded = engines().find((e) => e.name === "embedded") as EngineCase;

Deno.test("doctor names each broken piece of a Claude Code folder with its fix", async (t) => {
  await using m = await openMesh(embedded);
  const env = { ...m.env, AGENT_MESH_ESCALATE_TO: "alice" };
  await m.cli("register", "alice"); // the escalation target runs: only folder problems remain
  const settingsOf = (f: Folder) => join(f.project, ".claude", "settings.json");
  const mcpOf = (f: Folder) => join(f.project, ".mcp.json");

  /** Sets up a fresh folder, breaks it with `edit`, and returns doctor's problems. */
  const broken = async (edit: (f: Folder) => Promise<void>, setupEnv = env) => {
    await using f = await folder();
    await setUp(f, setupEnv);
    await edit(f);
    const { code, doc } = await doctorJson(f, env);
    assert.equal(code, 1);
    const text = await f.run(["doctor"], env);
    assert.equal(text.code, 1);
    const lines = text.stdout.split("\n").filter((l) => l.startsWith("PROBLEM "));
    assert.equal(lines.length, doc.problems.length, text.stdout);
    for (const p of doc.problems) assert.ok(lines.includes(`PROBLEM ${p.problem}; fix: ${p.fix}`));
    return doc.problems;
  };

  await t.step("hooks removed", async () => {
    const problems = await broken((f) =>
      editJson(settingsOf(f), (doc) => {
        const hooks = doc.hooks as Record<string, unknown>;
        delete hooks.Stop;
        delete hooks.SessionEnd;
      })
    );
    assert.deepEqual(problems, [{
      check: "hooks",
      problem: "Agent-mesh hooks missing for Stop, SessionEnd",
      fix: 'run "agent-mesh setup claude-code --as alice" here',
    }]);
  });

  await t.step("all hooks removed", async () => {
    const problems = await broken((f) => editJson(settingsOf(f), (doc) => delete doc.hooks));
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0].problem, /^No agent-mesh hooks/);
  });

  await t.step("server not approved", async () => {
    const problems = await broken((f) =>
      editJson(settingsOf(f), (doc) => delete doc.enabledMcpjsonServers)
    );
    assert.deepEqual(problems, [{
      check: "approval",
      problem:
        'The "agent-mesh" server of .mcp.json is not approved: an interactive session stops to ask',
      fix: 'run "agent-mesh setup claude-code --as alice" here',
    }]);
  });

  await t.step("hooks and server name different agents", async () => {
    const problems = await broken((f) =>
      editJson(mcpOf(f), (doc) => {
        const entry = (doc.mcpServers as Record<string, { args: string[] }>)["agent-mesh"];
        entry.args = entry.args.map((a) => a === "alice" ? "bob" : a);
      })
    );
    assert.deepEqual(problems, [{
      check: "agent",
      problem: "The setup names different agents: the server as bob, hooks as alice",
      fix: 'run "agent-mesh setup claude-code --as bob" here, with the one name',
    }]);
  });

  await t.step("no server entry", async () => {
    const problems = await broken((f) => Deno.remove(mcpOf(f)));
    assert.deepEqual(problems.map((p) => p.check), ["server"]);
    assert.match(problems[0].problem, /^No "agent-mesh" MCP server for this folder/);
    assert.equal(problems[0].fix, 'run "agent-mesh setup claude-code --as alice" here');
  });

  await t.step("a program path that no longer exists", async () => {
    const gone = "/gone/agent-mesh/main.ts";
    const problems = await broken(async (f) => {
      await editJson(mcpOf(f), (doc) => {
        const entry = (doc.mcpServers as Record<string, { args: string[] }>)["agent-mesh"];
        entry.args = entry.args.map((a) => a === MAIN ? gone : a);
      });
      const settings = await Deno.readTextFile(settingsOf(f));
      assert.ok(settings.includes(MAIN));
      await Deno.writeTextFile(settingsOf(f), settings.replaceAll(MAIN, gone));
    });
    assert.deepEqual(problems.map((p) => p.check), ["program", "program"]);
    assert.match(
      problems[0].problem,
      /^The "agent-mesh" server in .* runs \/gone\/agent-mesh\/main\.ts, which no longer exists$/,
    );
    assert.equal(problems[1].problem, `The agent-mesh hooks run ${gone}, which no longer exists`);
  });

  await t.step("a Stop hook not in the background", async () => {
    const problems = await broken((f) =>
      editJson(settingsOf(f), (doc) => {
        const stop = (doc.hooks as Record<string, { hooks: Record<string, unknown>[] }[]>).Stop;
        delete stop[0].hooks[0].asyncRewake;
      })
    );
    assert.deepEqual(problems.map((p) => p.check), ["hooks"]);
    assert.match(problems[0].problem, /^The Stop hook in .* lacks "async" and "asyncRewake"/);
  });

  await t.step("hooks of two scopes", async () => {
    const problems = await broken(async (f) => {
      const user = await f.run(["setup", "claude-code", "--as", "alice", "--scope", "user"], env);
      assert.equal(user.code, 0, user.stderr);
    });
    assert.deepEqual(problems.map((p) => p.check), ["hooks"], JSON.stringify(problems));
    assert.match(
      problems[0].problem,
      /^Agent-mesh hooks set more than once for SessionStart, UserPromptSubmit, PostToolUse, Stop, SessionEnd \(in .*project.* and .*home.*\)/,
    );
  });

  await t.step("engine variables differing from this shell's", async () => {
    const other = { ...env, AGENT_MESH_PREFIX: "elsewhere" };
    const problems = await broken(() => Promise.resolve(), other);
    assert.deepEqual(problems.map((p) => p.check), ["engine", "engine"], JSON.stringify(problems));
    assert.equal(
      problems[1].problem,
      `The hooks' variables use prefix elsewhere but this shell prefix ${m.opened.prefix}: ` +
        "a session here would join another mesh",
    );
    assert.equal(
      problems[1].fix,
      'run doctor with the same variables, or run "agent-mesh setup claude-code --as alice" ' +
        "here from a shell set for the mesh the session should join",
    );
  });
});

Deno.test("doctor: a user-scope setup is healthy from any folder", async () => {
  await using m = await openMesh(embedded);
  await using f = await folder();
  const env = { ...m.env, AGENT_MESH_ESCALATE_TO: "alice" };
  await m.cli("register", "alice");
  const r = await f.run(["setup", "claude-code", "--as", "alice", "--scope", "user"], env);
  assert.equal(r.code, 0, r.stderr);
  const { code, doc } = await doctorJson(f, env);
  assert.equal(code, 0, JSON.stringify(doc.problems));
  const cc = doc.claude_code as {
    server: { scope: string; file: string; approved: boolean };
    hooks: { file: string }[];
  };
  assert.equal(cc.server.scope, "user");
  assert.equal(cc.server.file, join(f.home, ".claude.json"));
  assert.equal(cc.server.approved, true);
  assert.ok(cc.hooks.every((h) => h.file === join(f.home, ".claude", "settings.json")));
});

Deno.test("doctor: this folder's own entry in ~/.claude.json (local scope) comes first", async () => {
  await using m = await openMesh(embedded);
  await using f = await folder();
  const env = { ...m.env, AGENT_MESH_ESCALATE_TO: "alice" };
  await m.cli("register", "alice");
  await setUp(f, env); // the project's .mcp.json entry, which the local one overrides
  const http = "http://127.0.0.1:8765/mcp";
  const r = await f.run(
    ["setup", "claude-code", "--as", "alice", "--scope", "user", "--http", http],
    env,
  );
  assert.equal(r.code, 0, r.stderr);
  // Drop the user's hooks (the project has them) and make the user's entry this folder's own.
  await editJson(join(f.home, ".claude", "settings.json"), (doc) => delete doc.hooks);
  await editJson(join(f.home, ".claude.json"), (doc) => {
    doc.projects = { [f.project]: { mcpServers: doc.mcpServers } };
    delete doc.mcpServers;
  });
  const { code, doc } = await doctorJson(f, env);
  assert.equal(code, 0, JSON.stringify(doc.problems));
  const server = (doc.claude_code as { server: Record<string, unknown> }).server;
  assert.deepEqual(server, {
    file: join(f.home, ".claude.json"),
    scope: "local",
    transport: "http",
    agent: "alice",
    target: `${http}?as=alice`,
    approved: true,
  });
});

Deno.test("doctor shows an idle Claude Code session waiting in its Stop hook", async () => {
  await using m = await openMesh(embedded);
  await using f = await folder();
  const env = { ...m.env, AGENT_MESH_ESCALATE_TO: "alice" };
  // The Stop hook as Claude Code runs it: in the background, its input on stdin.
  const waiter = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "hook", "Stop", "--as", "alice"],
    env: { NO_COLOR: "1", CLAUDE_CODE_ENTRYPOINT: "cli", ...m.env },
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const writer = waiter.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify({ session_id: "s1" })));
    await writer.close();
    const online = async () => JSON.parse((await m.cli("who", "--json")).stdout).agents.length;
    await eventually(online, (n) => n === 1, "the waiter's registration");
    await eventually(
      async () => {
        for await (const e of Deno.readDir(m.home)) if (e.name.startsWith("waiter-")) return true;
        return false;
      },
      (found) => found,
      "the waiter's file",
    );
    const { doc } = await doctorJson(f, env);
    const [alice] = doc.agents as { agent: string; waiters: number }[];
    assert.equal(alice.agent, "alice");
    assert.equal(alice.waiters, 1);
    const text = await f.run(["doctor"], env);
    assert.match(text.stdout, /^ {2}alice .* 1 idle Claude Code session waiting$/m, text.stdout);
  } finally {
    waiter.kill("SIGTERM");
    await waiter.status;
  }
});

Deno.test("doctor with Redis unreachable: the one-line error, no password", async () => {
  await using f = await folder();
  const port = freePort();
  const secret = "s3cret-Pa55";
  for (
    const url of [
      `redis://:${secret}@127.0.0.1:${port}/0`,
      `redis://user:${secret}@127.0.0.1:${port}`,
      `redis://127.0.0.1:${port}?password=${secret}`,
    ]
  ) {
    const env = { AGENT_MESH_REDIS_URL: url, AGENT_MESH_HOME: join(f.home, "mesh") };
    const { code, doc } = await doctorJson(f, env);
    assert.equal(code, 1);
    assert.equal(doc.store_status, "unreachable");
    const [p] = problemsOf(doc.problems, "store");
    assert.match(
      p.problem,
      new RegExp(`^Cannot reach Redis at \\S+:${port}\\S* \\(connection refused\\)`),
    );
    assert.ok(!p.problem.includes("\n"));
    assert.match(p.fix, /start Redis/);
    const text = await f.run(["doctor"], env);
    assert.equal(text.code, 1);
    assert.ok(text.stdout.split("\n").includes(`PROBLEM ${p.problem}; fix: ${p.fix}`), text.stdout);
    for (const out of [JSON.stringify(doc), text.stdout, text.stderr]) {
      assert.ok(!out.includes(secret), `the password leaked: ${out}`);
    }
  }
});

const redis = engines().find((e) => e.name === "redis") as EngineCase;

Deno.test({
  name: "doctor on a Redis that needs a password, and in an engine difference: the password hidden",
  ignore: redis.ignore,
  ...redis.testOptions,
  async fn() {
    await using m = await openMesh(redis);
    await using f = await folder();
    const secret = "Pa55-w0rd-doctor";
    const url = new URL(m.env.AGENT_MESH_REDIS_URL);
    // A user of its own on the shared server: the default user stays open for the other tests.
    const acl = await new Deno.Command("redis-cli", {
      args: ["-p", url.port, "ACL", "SETUSER", "doctor", "on", `>${secret}`, "~*", "&*", "+@all"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(decoder.decode(acl.stdout).trim(), "OK", decoder.decode(acl.stderr));
    url.username = "doctor";
    url.password = secret;
    const env = { ...m.env, AGENT_MESH_REDIS_URL: url.href, AGENT_MESH_ESCALATE_TO: "alice" };
    await setUp(f, env);
    const reg = await m.cliEnv({ AGENT_MESH_REDIS_URL: url.href }, "register", "alice");
    assert.equal(reg.code, 0, reg.stderr);
    const { code, doc } = await doctorJson(f, env);
    assert.equal(code, 0, JSON.stringify(doc.problems));
    assert.equal(doc.store, `redis://doctor:***@127.0.0.1:${url.port}${url.pathname}`);
    const text = await f.run(["doctor"], env);
    // Doctor from a shell on the embedded engine: the hooks' Redis URL is named, hidden.
    const other = await f.run(["doctor"], {
      AGENT_MESH_HOME: m.env.AGENT_MESH_HOME,
      AGENT_MESH_DB: join(f.home, "elsewhere.db"),
    });
    assert.equal(other.code, 1);
    assert.match(other.stdout, /^PROBLEM The hooks' variables use Redis redis:\/\/doctor:\*\*\*@/m);
    for (const out of [JSON.stringify(doc), text.stdout, text.stderr, other.stdout, other.stderr]) {
      assert.ok(!out.includes(secret), `the password leaked: ${out}`);
    }
  },
});

Deno.test("doctor never creates a database: a missing file is a note", async () => {
  await using f = await folder();
  const db = join(f.home, "nowhere", "mesh.db");
  const env = { AGENT_MESH_DB: db, AGENT_MESH_HOME: join(f.home, "mesh") };
  const { doc } = await doctorJson(f, env);
  assert.equal(doc.store_status, "no_database");
  assert.deepEqual(problemsOf(doc.problems, "store"), []);
  assert.ok((doc.notes as string[]).some((n) => n.includes(db) && /nothing was sent/.test(n)));
  for (const path of [db, join(f.home, "mesh")]) {
    await assert.rejects(Deno.lstat(path), Deno.errors.NotFound, `${path} was created`);
  }
});
