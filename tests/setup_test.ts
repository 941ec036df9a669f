/**
 * `agent-mesh setup claude-code` end to end: the real CLI in a subprocess, with
 * HOME a temp folder and the working folder a temp project.
 */
import assert from "node:assert/strict";
import { currentDenoDir } from "./harness/paths.ts";
import { join, relative } from "node:path";
import { MAIN } from "./harness/cli.ts";

const LAUNCH = "claude --dangerously-load-development-channels server:agent-mesh";
const decoder = new TextDecoder();

const DENO_DIR = currentDenoDir();

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temp home and project, removed on dispose. */
interface Sandbox extends AsyncDisposable {
  home: string;
  project: string;
  /** `agent-mesh setup ...args` in the project, with only `env` from the engine variables. */
  setup(args: string[], env?: Record<string, string>): Promise<Result>;
}

async function sandbox(): Promise<Sandbox> {
  const root = await Deno.makeTempDir({ prefix: "agent-mesh-setup-" });
  const home = join(root, "home");
  const project = join(root, "project");
  await Deno.mkdir(home);
  await Deno.mkdir(project);
  const base: Record<string, string> = { HOME: home, DENO_DIR, NO_COLOR: "1" };
  for (const v of ["PATH", "SystemRoot", "TMPDIR", "TEMP", "TMP"]) {
    const value = Deno.env.get(v);
    if (value !== undefined) base[v] = value;
  }
  return {
    home,
    project,
    async setup(args, env = {}) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN, "setup", ...args],
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

/** Every file under `dirs`: relative path -> content and modification time. */
async function snapshot(...dirs: string[]): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  async function walk(dir: string, top: string) {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path, top);
      else {
        const stat = await Deno.lstat(path);
        files.set(
          `${top}:${relative(top, path)}`,
          `${stat.mtime?.getTime()} ${await Deno.readTextFile(path)}`,
        );
      }
    }
  }
  for (const d of dirs) await walk(d, d);
  return files;
}

/** Sets the mtime of every file under `dirs` to 2001: a later rewrite shows in a snapshot. */
async function backdate(...dirs: string[]): Promise<void> {
  const past = new Date("2001-01-01T00:00:00Z");
  for (const dir of dirs) {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) await backdate(path);
      else if (e.isFile) await Deno.utime(path, past, past);
    }
  }
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

function serveEntry(name: string, ...rest: string[]) {
  return { command: Deno.execPath(), args: ["run", "-A", MAIN, "serve", "--as", name, ...rest] };
}

interface HookGroup {
  hooks: { command: string; async?: boolean; asyncRewake?: boolean }[];
}

const OTHER_SERVERS = `{
    "mcpServers": {
        "other":   { "command": "other-server",  "args": ["--x", 1.50e0] },
        "second": {"type": "http", "url": "http://example.test/mcp"}
    },
  "unrelated" :  [1,2,   3],
  "big": 12345678901234567890
}
`;

const BEFORE = "# Project\n\nRules for this repo.\n\n## Build\n\nRun `make`.\n\n";
const AFTER = "## Testing\n\n```sh\n## not a heading, inside a fence\n```\n\nThe end.";

Deno.test("setup claude-code", async (t) => {
  await t.step("creates .mcp.json and CLAUDE.md in a fresh project", async () => {
    await using box = await sandbox();
    const r = await box.setup(["claude-code", "--as", "alice", "--role", "reviews code"]);
    assert.equal(r.code, 0, r.stderr);
    const mcp = join(box.project, ".mcp.json");
    const md = join(box.project, "CLAUDE.md");
    assert.deepEqual(await readJson(mcp), {
      mcpServers: { "agent-mesh": serveEntry("alice", "--role", "reviews code") },
    });
    assert.match(await Deno.readTextFile(mcp), /^\{\n {2}"mcpServers": \{\n {4}"agent-mesh"/);
    const text = await Deno.readTextFile(md);
    assert.ok(text.startsWith("## Agent Mesh\n"), text);
    assert.ok(text.endsWith(".\n"));
    assert.match(text, /agent `alice`/);
    assert.match(text, /Your role: reviews code\./);
    assert.match(text, /\[agent-mesh\] message from NAME/);
    assert.match(text, /send as `alice` \(they refuse another `from_agent`\)/);
    const lines = r.stdout.split("\n");
    assert.ok(lines.includes(`created: ${mcp}`), r.stdout);
    assert.ok(lines.includes(`created: ${md}`), r.stdout);
    // Hooks on every install: no launch flag is needed, nor suggested.
    assert.ok(!r.stdout.includes(LAUNCH), r.stdout);
    assert.match(r.stdout, /just "claude"/);
    const settings = join(box.project, ".claude", "settings.json");
    assert.ok(lines.includes(`created: ${settings}`), r.stdout);
    const hooks = (await readJson(settings)).hooks as Record<string, HookGroup[]>;
    assert.deepEqual(Object.keys(hooks), [
      "SessionStart",
      "UserPromptSubmit",
      "PostToolUse",
      "Stop",
      "SessionEnd",
    ]);
    for (const [event, groups] of Object.entries(hooks)) {
      assert.equal(groups.length, 1, event);
      const [hook] = groups[0].hooks;
      assert.ok(hook.command.includes(` hook ${event} --as alice`), hook.command);
      assert.ok(hook.command.startsWith(`exec ${Deno.execPath()}`), "runs this very program");
      assert.equal(hook.async === true && hook.asyncRewake === true, event === "Stop", event);
    }
    assert.match(hooks.SessionStart[0].hooks[0].command, / --role 'reviews code'$/);
    assert.deepEqual([...(await snapshot(box.home)).keys()], [], "home untouched");
    // The server is approved for this project (else Claude Code stops at a dialog).
    assert.deepEqual((await readJson(settings)).enabledMcpjsonServers, ["agent-mesh"]);
    assert.equal(await exists(`${mcp}.bak`), false);
  });

  await t.step("keeps other servers, keys and sections; .bak holds the old files", async () => {
    await using box = await sandbox();
    const mcp = join(box.project, ".mcp.json");
    const md = join(box.project, "CLAUDE.md");
    const stale = "## Agent Mesh\n\nOld text about agent `zed`.\n\n### Detail\n\nmore\n\n";
    await Deno.writeTextFile(mcp, OTHER_SERVERS);
    await Deno.writeTextFile(md, BEFORE + stale + AFTER);
    const r = await box.setup(["claude-code", "--as", "bob"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^updated: ${mcp.replace(/[.\\]/g, "\\$&")}$`, "m"));
    const text = await Deno.readTextFile(mcp);
    for (
      const kept of [
        `"other":   { "command": "other-server",  "args": ["--x", 1.50e0] },`,
        `"second": {"type": "http", "url": "http://example.test/mcp"}`,
        `"unrelated" :  [1,2,   3],\n  "big": 12345678901234567890\n}\n`,
      ]
    ) assert.ok(text.includes(kept), `kept ${kept} in\n${text}`);
    const doc = await readJson(mcp);
    const servers = doc.mcpServers as Record<string, unknown>;
    assert.deepEqual(Object.keys(servers), ["other", "second", "agent-mesh"]);
    assert.deepEqual(servers["agent-mesh"], serveEntry("bob"));
    assert.deepEqual(doc.unrelated, [1, 2, 3]);
    const newMd = await Deno.readTextFile(md);
    assert.ok(newMd.startsWith(BEFORE), "text before the section is kept");
    assert.ok(newMd.endsWith(`\n\n${AFTER}`), "text after the section is kept");
    assert.doesNotMatch(newMd, /zed|### Detail/);
    assert.match(newMd, /agent `bob`/);
    assert.equal(await Deno.readTextFile(`${mcp}.bak`), OTHER_SERVERS);
    assert.equal(await Deno.readTextFile(`${md}.bak`), BEFORE + stale + AFTER);
  });

  await t.step("a second run reports unchanged and writes nothing", async () => {
    await using box = await sandbox();
    await Deno.writeTextFile(join(box.project, ".mcp.json"), OTHER_SERVERS);
    await Deno.writeTextFile(join(box.project, "CLAUDE.md"), BEFORE + AFTER);
    const args = ["claude-code", "--as", "carol", "--role", "tests"];
    const env = { AGENT_MESH_PREFIX: "team1" };
    assert.equal((await box.setup(args, env)).code, 0);
    await backdate(box.project, box.home); // a rewrite would show in the mtimes
    const before = await snapshot(box.project, box.home);
    const r = await box.setup(args, env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^unchanged: .*\.mcp\.json$/m);
    assert.match(r.stdout, /^unchanged: .*CLAUDE\.md$/m);
    assert.doesNotMatch(r.stdout, /created|updated/);
    assert.deepEqual(await snapshot(box.project, box.home), before);
  });

  await t.step("an identical entry written differently is left alone", async () => {
    await using box = await sandbox();
    const mcp = join(box.project, ".mcp.json");
    const entry = serveEntry("dave");
    const odd = `{"mcpServers":{"agent-mesh":{"args":${JSON.stringify(entry.args)},"command":${
      JSON.stringify(entry.command)
    }}}}`; // no newline, other key order
    await Deno.writeTextFile(mcp, odd);
    const r = await box.setup(["claude-code", "--as", "dave"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^unchanged: .*\.mcp\.json$/m);
    assert.equal(await Deno.readTextFile(mcp), odd);
    assert.equal(await exists(`${mcp}.bak`), false);
  });

  await t.step("--dry-run prints a diff and writes nothing", async () => {
    await using box = await sandbox();
    const mcp = join(box.project, ".mcp.json");
    const md = join(box.project, "CLAUDE.md");
    const fresh = await box.setup(["claude-code", "--as", "erin", "--dry-run"]);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(
      fresh.stdout,
      new RegExp(`^--- /dev/null\n\\+\\+\\+ ${mcp}\n@@ -0,0 \\+1,\\d+ @@`, "m"),
    );
    assert.match(fresh.stdout, /^\+## Agent Mesh$/m);
    assert.match(fresh.stdout, /^would be created: .*CLAUDE\.md$/m);
    assert.match(fresh.stdout, /nothing written/);
    assert.deepEqual([...(await snapshot(box.project, box.home)).keys()], []);

    await Deno.writeTextFile(mcp, OTHER_SERVERS);
    await Deno.writeTextFile(md, BEFORE + AFTER);
    const before = await snapshot(box.project, box.home);
    const r = await box.setup(["claude-code", "--as", "erin", "--dry-run"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^--- ${mcp}\n\\+\\+\\+ ${mcp}\n@@ `, "m"));
    const lines = r.stdout.split("\n");
    assert.ok(
      lines.includes(`-        "second": {"type": "http", "url": "http://example.test/mcp"}`),
    );
    assert.ok(
      lines.includes(`+        "second": {"type": "http", "url": "http://example.test/mcp"},`),
    );
    assert.ok(lines.includes(`+        "agent-mesh": {`), r.stdout);
    assert.match(r.stdout, /^ ```\n \n-The end\.\n\\ No newline at end of file\n\+The end\.$/m);
    assert.match(r.stdout, /^would be updated: .*\.mcp\.json$/m);
    assert.deepEqual(await snapshot(box.project, box.home), before);
  });

  await t.step("invalid JSON: exit 1, one line naming the file, nothing written", async () => {
    await using box = await sandbox();
    const mcp = join(box.project, ".mcp.json");
    for (const bad of ['{ "mcpServers": { "x": 1, } }', '{"mcpServers": ["x"]}', "[]"]) {
      await Deno.writeTextFile(mcp, bad);
      const before = await snapshot(box.project, box.home);
      const r = await box.setup(["claude-code", "--as", "frank"]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      assert.ok(r.stderr.includes(mcp), r.stderr);
      assert.deepEqual(await snapshot(box.project, box.home), before, "CLAUDE.md not created");
    }

    const claudeJson = join(box.home, ".claude.json");
    await Deno.remove(mcp);
    await Deno.writeTextFile(claudeJson, '{"numStartups": 3,');
    const before = await snapshot(box.project, box.home);
    const r = await box.setup(["claude-code", "--as", "frank", "--scope", "user"]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /not valid JSON/);
    assert.ok(r.stderr.includes(claudeJson), r.stderr);
    assert.deepEqual(await snapshot(box.project, box.home), before);
    assert.equal(await exists(join(box.home, ".claude")), false);
  });

  await t.step("--scope user writes ~/.claude.json and ~/.claude/CLAUDE.md", async () => {
    await using box = await sandbox();
    const claudeJson = join(box.home, ".claude.json");
    const old = JSON.stringify(
      {
        numStartups: 12,
        projects: { "/some/where": { allowedTools: [], mcpServers: {} } },
        mcpServers: { mine: { command: "mine" } },
        userID: "abc",
      },
      null,
      2,
    );
    await Deno.writeTextFile(claudeJson, old);
    const r = await box.setup(["claude-code", "--as", "grace", "--scope", "user"]);
    assert.equal(r.code, 0, r.stderr);
    const doc = await readJson(claudeJson);
    assert.equal(doc.numStartups, 12);
    assert.equal(doc.userID, "abc");
    assert.deepEqual(doc.projects, { "/some/where": { allowedTools: [], mcpServers: {} } });
    assert.deepEqual(doc.mcpServers, {
      mine: { command: "mine" },
      "agent-mesh": serveEntry("grace"),
    });
    const text = await Deno.readTextFile(claudeJson);
    assert.ok(text.startsWith(old.slice(0, old.indexOf('"mine"'))), "keys before kept as written");
    assert.ok(text.endsWith(`,\n  "userID": "abc"\n}`), "no newline added at the end");
    const md = await Deno.readTextFile(join(box.home, ".claude", "CLAUDE.md"));
    assert.match(md, /^## Agent Mesh\n[^]*agent `grace`/);
    assert.equal(await Deno.readTextFile(`${claudeJson}.bak`), old);
    assert.deepEqual([...(await snapshot(box.project)).keys()], [], "project untouched");
  });

  await t.step("--http writes a URL entry with as=NAME", async () => {
    await using box = await sandbox();
    const mcp = join(box.project, ".mcp.json");
    const plain = await box.setup([
      "claude-code",
      "--as",
      "heidi",
      "--http",
      "http://127.0.0.1:8765/mcp",
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual((await readJson(mcp)).mcpServers, {
      "agent-mesh": { type: "http", url: "http://127.0.0.1:8765/mcp?as=heidi" },
    });
    const r = await box.setup(
      ["claude-code", "--as", "heidi", "--http", "https://mesh.test/mcp?token=a%20b&as=old"],
      { AGENT_MESH_PREFIX: "ignored-over-http" },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^updated: .*\.mcp\.json$/m);
    assert.deepEqual((await readJson(mcp)).mcpServers, {
      "agent-mesh": { type: "http", url: "https://mesh.test/mcp?token=a%20b&as=heidi" },
    });
  });

  await t.step("passes the engine variables that are set on to the server", async () => {
    await using box = await sandbox();
    const mcp = join(box.project, ".mcp.json");
    const r = await box.setup(["claude-code", "--as", "ivan"], {
      AGENT_MESH_REDIS_URL: "redis://127.0.0.1:6399/2",
      AGENT_MESH_DB: "data/mesh.db",
      AGENT_MESH_PREFIX: "",
      AGENT_MESH_GATE_LIMIT: "7",
    });
    assert.equal(r.code, 0, r.stderr);
    const entry = ((await readJson(mcp)).mcpServers as Record<string, unknown>)["agent-mesh"];
    assert.deepEqual(entry, {
      ...serveEntry("ivan"),
      env: {
        AGENT_MESH_REDIS_URL: "redis://127.0.0.1:6399/2",
        AGENT_MESH_DB: join(box.project, "data", "mesh.db"),
      },
    });
    const again = await box.setup(["claude-code", "--as", "ivan"], { AGENT_MESH_PREFIX: "p2" });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(((await readJson(mcp)).mcpServers as Record<string, unknown>)["agent-mesh"], {
      ...serveEntry("ivan"),
      env: { AGENT_MESH_PREFIX: "p2" },
    });
  });

  await t.step("bad input: exit 2, one line, nothing written", async () => {
    await using box = await sandbox();
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [["claude-code", "--as", "bad name"], /Invalid --as name "bad name"/],
      [["claude-code", "--as", ""], /Missing --as name/],
      [["claude-code"], /Missing --as NAME/],
      [[], /Missing TARGET/],
      [["vscode", "--as", "a"], /Unknown target "vscode"/],
      [["claude-code", "--as", "a", "--scope", "global"], /Invalid --scope "global"/],
      [["claude-code", "--as", "a", "--http", "ftp://h/x"], /Invalid --http "ftp:\/\/h\/x"/],
      [["claude-code", "--as", "a", "--http", "not a url"], /Invalid --http "not a url"/],
      [["claude-code", "--as", "a", "--role", "x".repeat(201)], /Invalid --role/],
      [["claude-code", "extra", "--as", "a"], /Unexpected argument "extra"/],
      [["claude-code", "--as", "a", "--bogus"], /Unknown flag "--bogus"/],
      [["claude-code", "--as", "a"], /AGENT_MESH_REDIS_URL/, { AGENT_MESH_REDIS_URL: "http://x" }],
    ];
    for (const [args, message, env] of cases) {
      const r = await box.setup(args, env);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, message);
    }
    assert.deepEqual([...(await snapshot(box.project, box.home)).keys()], []);
  });
});
