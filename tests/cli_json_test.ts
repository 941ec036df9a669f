/**
 * One JSON schema: every command takes --json and says so, every document it
 * prints fits the shape its definition declares (the shape `help json` and the
 * README show), and an error in --json mode is an Error document on stdout.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliResult, MAIN, openMesh, runCli } from "./harness/cli.ts";
import { currentDenoDir } from "./harness/paths.ts";
import { engines } from "./harness/store_engines.ts";
import { ERROR_DOC } from "../commands/_cli/errors.ts";
import { mismatches } from "../commands/_cli/shape.ts";
import { COMMAND_NAMES, loadCommand } from "../commands/index.ts";

/** Asserts that `out` is one JSON document (or, for monitor, one per line) fitting `name`'s shape. */
async function fits(name: string, out: string): Promise<unknown[]> {
  const cmd = await loadCommand(name);
  const docs = out.trimEnd().split("\n").map((l) => JSON.parse(l));
  if (name !== "monitor") assert.equal(docs.length, 1, `${name}: one document: ${out}`);
  for (const doc of docs) assert.deepEqual(mismatches(cmd.output, doc), [], `${name}: ${out}`);
  return docs;
}

/** Asserts that `r` failed with exit `code` and an Error document of `errorCode`. */
function failed(r: CliResult, code: number, errorCode: string): void {
  assert.equal(r.code, code, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(mismatches(ERROR_DOC, doc), [], r.stdout);
  assert.equal(doc.error.code, errorCode, r.stdout);
  assert.equal(`agent-mesh: ${doc.error.message}\n`, r.stderr.split("\n").slice(-2)[0] + "\n");
}

Deno.test("every command's help lists --json, and every command accepts it", async () => {
  for (const name of COMMAND_NAMES) {
    const r = await runCli({}, [name, "--help"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}--json {2,}print one JSON document/m, name);
    assert.match(r.stdout, /^--json prints: /m, name);
  }
});

for (const engine of engines()) {
  Deno.test({
    name: `${engine.name}: every command's --json document fits its declared shape`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using m = await openMesh(engine);
      const ok = async (name: string, ...args: string[]) => {
        const r = await m.cli(name, ...args, "--json");
        assert.ok(r.code === 0 || r.code === 1, `${name}: ${r.stderr}`);
        return await fits(name, r.stdout);
      };
      await ok("register", "bob", "--role", "reviewer");
      const [who] = await ok("who", "--all") as { agents: { ts: unknown; pid: unknown }[] }[];
      assert.equal(typeof who.agents[0].ts, "number", "a registry ts is a number");
      await ok("send", "bob", "hi", "--from", "al", "-e");
      await ok("broadcast", "all", "--from", "al");
      await ok("pending", "al");
      await ok("ack", "bob", "thanks", "--from", "al");
      await ok("listen", "bob", "--timeout", "5");
      const [heard] = await ok("listen", "bob", "--timeout", "5") as {
        message: { ts: unknown };
      }[];
      assert.equal(typeof heard.message.ts, "string", "a message ts is a decimal string");
      await ok("listen", "bob", "--timeout", "0");
      await ok("ping", "idle", "--timeout", "0.2");
      await ok("request", "idle", "q?", "--timeout", "0.2");
      const asking = m.spawn([
        "request",
        "bob",
        "2+2?",
        "--from",
        "al",
        "--json",
        "--timeout",
        "30",
      ]);
      const [got] = await ok("listen", "bob", "--timeout", "20") as {
        message: { reply_to: string };
      }[];
      await ok("reply", got.message.reply_to, "4", "--from", "bob");
      await fits("request", (await asking.done()).stdout);
      const mon = m.spawn(["monitor", "mo", "--json"]);
      await mon.waitFor(/^monitoring mo /);
      await ok("ping", "mo", "--timeout", "10");
      await m.cli("send", "mo", "to mo", "--from", "al");
      await m.cli("broadcast", "to all", "--from", "al");
      await mon.waitFor(/"to all"/);
      const second = await m.cli("monitor", "mo", "--json");
      await fits("monitor", second.stdout);
      mon.kill("SIGTERM");
      const stopped = (await mon.done()).stdout.trimEnd().split("\n");
      failed(
        { code: 130, stdout: stopped.pop()!, stderr: "agent-mesh: Interrupted by SIGTERM\n" },
        130,
        "interrupted",
      );
      const events = await fits("monitor", stopped.join("\n")) as { event: string }[];
      assert.deepEqual(events.map((e) => e.event), ["direct", "group"]);
      const [gone] = await ok("deregister", "bob") as { removed: boolean }[];
      assert.equal(gone.removed, true, "deregister says removed, as mesh_deregister does");
      const [again] = await ok("deregister", "bob") as { removed: boolean }[];
      assert.equal(again.removed, false);
    },
  });
}

Deno.test("serve, setup, demo and help print their documents too", async () => {
  const [embedded] = engines();
  await using m = await openMesh(embedded);
  const serve = m.spawn(["serve", "--http", "--port", "0", "--json"]);
  await serve.waitFor(/^\{/);
  serve.kill("SIGTERM");
  const served = await serve.done();
  assert.equal(served.code, 0, served.stderr);
  const [doc] = await fits("serve", served.stdout) as { url: string }[];
  assert.match(doc.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const project = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        MAIN,
        "setup",
        "claude-code",
        "--as",
        "amy",
        "--dry-run",
        "--json",
      ],
      cwd: project,
      env: { ...m.env, HOME: project, DENO_DIR: currentDenoDir() },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    await fits("setup", new TextDecoder().decode(out.stdout));
  } finally {
    await Deno.remove(project, { recursive: true });
  }
  const demo = await m.cli("demo", "--json");
  assert.equal(demo.code, 0, demo.stderr);
  const [run] = await fits("demo", demo.stdout) as { transcript: string[] }[];
  assert.ok(run.transcript.some((l) => l.includes("it is noon")));
  for (const args of [["help"], ["help", "send"], ["help", "json"]]) {
    const r = await m.cli(...args, "--json");
    assert.equal(r.code, 0, r.stderr);
    await fits("help", r.stdout);
  }
});

Deno.test("an error in --json mode is an Error document on stdout, with the usual exit code", async () => {
  const [embedded] = engines();
  await using m = await openMesh(embedded);
  await m.cli("register", "bob");
  failed(await m.cli("send", "bob", "hi", "--form", "al", "--json"), 2, "usage");
  failed(await m.cli("sned", "--json"), 2, "usage");
  failed(await m.cliEnv({ AGENT_MESH_GATE_LIMIT: "x" }, "who", "--json"), 2, "config");
  failed(await m.cli("send", "nobody", "hi", "--strict", "--json"), 1, "unknown_agent");
  const enforce = { AGENT_MESH_GATE_LIMIT: "1", AGENT_MESH_GATE_ENFORCE: "1" };
  await m.cliEnv(enforce, "send", "bob", "1", "--json");
  failed(await m.cliEnv(enforce, "send", "bob", "2", "--json"), 1, "rate_limited");
  const unreachable = { AGENT_MESH_REDIS_URL: "redis://127.0.0.1:1/0" };
  failed(await m.cliEnv(unreachable, "who", "--json"), 1, "store");
});

Deno.test("a read-only command creates no database: who on a mistyped AGENT_MESH_DB says so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env = { AGENT_MESH_HOME: dir, AGENT_MESH_DB: join(dir, "typo", "mseh.db") };
    const r = await runCli(env, ["who", "--json"]);
    failed(r, 1, "no_mesh");
    assert.match(r.stderr, /No mesh database at ".*mseh\.db": nothing was ever sent/);
    const p = await runCli(env, ["pending", "al"]);
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual([...Deno.readDirSync(dir)], [], "no file, no folder");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
