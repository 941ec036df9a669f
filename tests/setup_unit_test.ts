/** Unit tests of `setup`'s parts: JSON entry edits, the CLAUDE.md section, the diff, the writes. */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  BadConfigFile,
  httpUrl,
  jsonEqual,
  newConfigText,
  parseConfig,
  setServerEntry,
  stdioEntry,
} from "../lib/setup/mcp_json.ts";
import { agentMeshSection, findSection, setSection } from "../lib/setup/claude_md.ts";
import { unifiedDiff } from "../lib/setup/diff.ts";
import { type FileChange, statusOf, writeChange } from "../lib/setup/files.ts";
import { engineEnv, targetPaths } from "../lib/setup/claude_code.ts";
import { hookCommand, setHooks } from "../lib/setup/hooks.ts";
import { MeshError, UsageError } from "../lib/errors.ts";

const ENTRY = { command: "/bin/am", args: ["serve", "--as", "a"] };
const SECTION = "## Agent Mesh\n\nNEW";

Deno.test("setServerEntry() edits only the agent-mesh entry", async (t) => {
  await t.step("creates a file with 2-space indentation and a final newline", () => {
    assert.equal(setServerEntry(undefined, ENTRY), newConfigText(ENTRY));
    assert.equal(setServerEntry(" \n", ENTRY), newConfigText(ENTRY));
    assert.ok(newConfigText(ENTRY).startsWith('{\n  "mcpServers": {\n    "agent-mesh": {\n'));
    assert.ok(newConfigText(ENTRY).endsWith("}\n"));
  });

  await t.step("returns the same text when the entry is equal in meaning", () => {
    const old = `{"x": 1.0, "mcpServers": {"agent-mesh": {"args": ["serve","--as","a"], ` +
      `"command": "/bin/am"}}}`;
    assert.equal(setServerEntry(old, ENTRY), old);
  });

  await t.step("adds the entry after the other servers, keeping their bytes", () => {
    const old = '{\n  "mcpServers": {\n    "x": {"command":   "y"}\n  },\n  "n": 1.50\n}';
    const out = setServerEntry(old, ENTRY);
    assert.equal(
      out,
      '{\n  "mcpServers": {\n    "x": {"command":   "y"},\n    "agent-mesh": {\n' +
        '      "command": "/bin/am",\n      "args": [\n        "serve",\n        "--as",\n' +
        '        "a"\n      ]\n    }\n  },\n  "n": 1.50\n}',
    );
    assert.equal(setServerEntry(out, ENTRY), out, "idempotent");
  });

  await t.step("replaces an existing entry in place", () => {
    const old = '{\n  "a": 1,\n  "mcpServers": {\n    "agent-mesh": {"command": "old"},\n' +
      '    "z": {}\n  }\n}\n';
    const out = setServerEntry(old, { type: "http", url: "http://h/mcp?as=a" });
    assert.equal(
      out,
      '{\n  "a": 1,\n  "mcpServers": {\n    "agent-mesh": {\n      "type": "http",\n' +
        '      "url": "http://h/mcp?as=a"\n    },\n    "z": {}\n  }\n}\n',
    );
  });

  await t.step("adds mcpServers when missing, and fills an empty one", () => {
    assert.deepEqual(JSON.parse(setServerEntry('{"k": [1]}', ENTRY)), {
      k: [1],
      mcpServers: { "agent-mesh": ENTRY },
    });
    assert.equal(setServerEntry("{}", ENTRY), newConfigText(ENTRY).trimEnd());
    const empty = '{\n  "mcpServers": {  }\n}\n';
    assert.equal(setServerEntry(empty, ENTRY), newConfigText(ENTRY));
  });

  await t.step("follows the file's indentation, line ends and one-line form", () => {
    const tabs = setServerEntry('{\n\t"mcpServers": {\n\t\t"x": 1\n\t}\n}\n', {
      type: "http",
      url: "u",
    });
    assert.equal(
      tabs,
      '{\n\t"mcpServers": {\n\t\t"x": 1,\n\t\t"agent-mesh": {\n\t\t\t"type": "http",\n' +
        '\t\t\t"url": "u"\n\t\t}\n\t}\n}\n',
    );
    const crlf = setServerEntry('{\r\n  "mcpServers": {\r\n    "x": 1\r\n  }\r\n}\r\n', ENTRY);
    assert.doesNotMatch(crlf, /[^\r]\n/);
    const minified = setServerEntry('{"a":1,"mcpServers":{"x":1}}', ENTRY);
    assert.equal(minified, `{"a":1,"mcpServers":{"x":1,"agent-mesh":${JSON.stringify(ENTRY)}}}`);
  });

  await t.step("keeps what JSON.parse would lose: big numbers, escapes, a BOM", () => {
    const old = '\uFEFF{"big": 12345678901234567890, "s": "\\u00e9", "f": 1e2}\n';
    const out = setServerEntry(old, ENTRY);
    assert.ok(out.startsWith('\uFEFF{"big": 12345678901234567890, "s": "\\u00e9", "f": 1e2'));
    assert.ok(out.endsWith("}\n"));
  });

  await t.step("changes the last of duplicate keys, the one JSON.parse reads", () => {
    const old = '{"mcpServers": {"agent-mesh": 1, "agent-mesh": 2}}';
    const out = setServerEntry(old, ENTRY);
    assert.ok(out.startsWith('{"mcpServers": {"agent-mesh": 1, "agent-mesh": {'), out);
    assert.deepEqual(JSON.parse(out).mcpServers["agent-mesh"], ENTRY);
  });

  await t.step("refuses files it cannot update", () => {
    for (
      const [text, reason] of [
        ["{", /^not valid JSON \(/],
        ['{"a": 1,}', /^not valid JSON \(.*line 1 column 9/],
        ['"text"', /^not a JSON object$/],
        ["[1]", /^not a JSON object$/],
        ['{"mcpServers": null}', /^"mcpServers" is not an object$/],
        ['{"mcpServers": [1]}', /^"mcpServers" is not an object$/],
      ] as const
    ) {
      assert.throws(() => setServerEntry(text, ENTRY), (e: Error) => {
        assert.ok(e instanceof BadConfigFile, text);
        assert.match(e.message, reason);
        return true;
      });
    }
    assert.throws(() => parseConfig('{"secret": "hunter2" x}'), (e: Error) => {
      assert.doesNotMatch(e.message, /hunter2/, "no file content in the message");
      return true;
    });
  });
});

Deno.test("jsonEqual() ignores key order only", () => {
  assert.ok(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }));
  assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: undefined }));
  assert.ok(!jsonEqual([1, 2], [2, 1]));
  assert.ok(!jsonEqual({ a: [] }, { a: {} }));
  assert.ok(!jsonEqual(null, {}));
});

Deno.test("stdioEntry() runs serve --as NAME, with --role and env only when given", () => {
  const self = { command: "/usr/bin/deno", args: ["run", "-A", "/m/main.ts"] };
  assert.deepEqual(stdioEntry(self, "a", undefined, {}), {
    command: "/usr/bin/deno",
    args: ["run", "-A", "/m/main.ts", "serve", "--as", "a"],
  });
  assert.deepEqual(stdioEntry({ command: "/bin/am", args: [] }, "a", "r x", { K: "v" }), {
    command: "/bin/am",
    args: ["serve", "--as", "a", "--role", "r x"],
    env: { K: "v" },
  });
});

Deno.test("httpUrl() appends as=NAME and checks the URL", () => {
  assert.equal(httpUrl("http://127.0.0.1:8765/mcp", "a"), "http://127.0.0.1:8765/mcp?as=a");
  assert.equal(httpUrl("https://h/mcp?", "a"), "https://h/mcp?as=a");
  assert.equal(httpUrl("https://h/mcp?t=a%20b+c&x", "a"), "https://h/mcp?t=a%20b+c&x&as=a");
  assert.equal(httpUrl("https://h/mcp?as=z&t=1&%61s=y", "a"), "https://h/mcp?t=1&as=a");
  assert.equal(httpUrl("https://h/mcp#frag", "a"), "https://h/mcp?as=a#frag");
  for (const bad of ["ftp://h/x", "h:8765/mcp", "not a url", "file:///x", "", "http://"]) {
    assert.throws(() => httpUrl(bad, "a"), UsageError, bad);
  }
});

Deno.test("engineEnv() passes the set engine variables, the database made absolute", () => {
  const vars: Record<string, string> = {
    AGENT_MESH_REDIS_URL: "redis://h:1/0",
    AGENT_MESH_DB: "rel/m.db",
    AGENT_MESH_PREFIX: "",
    AGENT_MESH_HOME: "/elsewhere",
  };
  assert.deepEqual(engineEnv((n) => vars[n], "/proj"), {
    AGENT_MESH_REDIS_URL: "redis://h:1/0",
    AGENT_MESH_DB: join("/proj", "rel", "m.db"),
    AGENT_MESH_HOME: "/elsewhere",
  });
  assert.deepEqual(engineEnv(() => undefined, "/proj"), {});
});

Deno.test("targetPaths() picks the project or the user files", () => {
  assert.deepEqual(targetPaths("project", "/p", () => assert.fail("no home needed")), {
    mcp: join("/p", ".mcp.json"),
    settings: join("/p", ".claude", "settings.json"),
    md: join("/p", "CLAUDE.md"),
  });
  assert.deepEqual(targetPaths("user", "/p", () => "/h"), {
    mcp: join("/h", ".claude.json"),
    settings: join("/h", ".claude", "settings.json"),
    md: join("/h", ".claude", "CLAUDE.md"),
  });
});

Deno.test("agentMeshSection() names the agent, the tools and how messages are framed", () => {
  const s = agentMeshSection("alice", " reviews\n code. ");
  assert.ok(s.startsWith("## Agent Mesh\n\nThis session is agent `alice`"));
  assert.match(s, /Your role: reviews code\.\n/);
  for (
    const tool of [
      "mesh_send",
      "mesh_reply",
      "mesh_request",
      "mesh_listen",
      "mesh_who",
      "mesh_ping",
      "mesh_broadcast",
      "mesh_history",
      "mesh_pending",
      "mesh_ack",
      "mesh_register",
      "mesh_deregister",
    ]
  ) assert.ok(s.includes(`\`${tool}\``), tool);
  assert.match(s, /`\[agent-mesh\] message from NAME · id ID · TIME`/);
  assert.doesNotMatch(agentMeshSection("b"), /Your role/);
  assert.doesNotMatch(agentMeshSection("b", "  "), /Your role/);
  assert.ok(!s.endsWith("\n"));
  assert.ok(s.split("\n").length < 30, "short: read every session");
  assert.ok(findSection(s), "its own heading is found");
});

Deno.test("findSection() runs to the next level 1 or 2 heading outside fences", () => {
  const text = "# T\n\n## Agent Mesh\nold\n### Sub\n~~~\n# in fence\n~~~\n#hashtag\n## Next\n";
  const span = findSection(text)!;
  assert.equal(
    text.slice(span.start, span.end),
    "## Agent Mesh\nold\n### Sub\n~~~\n# in fence\n~~~\n#hashtag\n",
  );
  assert.equal(findSection("```\n## Agent Mesh\n```\n"), undefined, "not inside a fence");
  assert.equal(findSection("## Agent Meshes\n"), undefined);
  assert.equal(findSection("### Agent Mesh\n"), undefined);
  assert.deepEqual(findSection("x\n  ## Agent Mesh ##  \ny"), { start: 2, end: 24 });
});

Deno.test("setSection() replaces exactly the section, or appends it", async (t) => {
  await t.step("new or empty file", () => {
    assert.equal(setSection(undefined, SECTION), `${SECTION}\n`);
    assert.equal(setSection("", SECTION), `${SECTION}\n`);
  });
  await t.step("between other sections, keeping them byte for byte", () => {
    const before = "# T\n\nintro  \n\n";
    const after = "## Next\n\ntext";
    const out = setSection(`${before}## Agent Mesh\n\nold\n\n\n${after}`, SECTION);
    assert.equal(out, `${before}${SECTION}\n\n${after}`);
    assert.equal(setSection(out, SECTION), out);
  });
  await t.step("last in the file, keeping its trailing-newline habit", () => {
    assert.equal(setSection("# T\n\n## Agent Mesh\nold\n", SECTION), `# T\n\n${SECTION}\n`);
    assert.equal(setSection("# T\n\n## Agent Mesh\nold", SECTION), `# T\n\n${SECTION}`);
  });
  await t.step("appended after a blank line", () => {
    for (const old of ["# T\n\nx", "# T\n\nx\n", "# T\n\nx\n\n"]) {
      const out = setSection(old, SECTION);
      assert.equal(out, `# T\n\nx\n\n${SECTION}\n`, JSON.stringify(old));
      assert.equal(setSection(out, SECTION), out);
    }
  });
  await t.step("CRLF files stay CRLF", () => {
    const out = setSection("# T\r\n\r\n## Agent Mesh\r\nold\r\n## B\r\n", SECTION);
    assert.equal(out, "# T\r\n\r\n## Agent Mesh\r\n\r\nNEW\r\n\r\n## B\r\n");
  });
});

Deno.test("unifiedDiff() shows changes with 3 lines of context", () => {
  assert.equal(unifiedDiff("f", "a\n", "a\n"), "");
  assert.equal(
    unifiedDiff("f", undefined, "a\nb\n"),
    "--- /dev/null\n+++ f\n@@ -0,0 +1,2 @@\n+a\n+b\n",
  );
  assert.equal(unifiedDiff("f", "a\n", ""), "--- f\n+++ f\n@@ -1 +0,0 @@\n-a\n");
  const old = Array.from({ length: 20 }, (_, i) => `l${i}\n`).join("");
  const changed = old.replace("l2\n", "L2\n").replace("l17\n", "l17\nnew\n");
  assert.equal(
    unifiedDiff("f", old, changed),
    "--- f\n+++ f\n@@ -1,6 +1,6 @@\n l0\n l1\n-l2\n+L2\n l3\n l4\n l5\n" +
      "@@ -16,5 +16,6 @@\n l15\n l16\n l17\n+new\n l18\n l19\n",
  );
  const near = old.replace("l5\n", "x\n").replace("l10\n", "y\n");
  assert.match(unifiedDiff("f", old, near), /^@@ -3,12 \+3,12 @@$/m, "close changes share a hunk");
  assert.equal(unifiedDiff("f", old, near).match(/^@@/gm)?.length, 1);
  assert.equal(
    unifiedDiff("f", "a\nb", "a\nb\n"),
    "--- f\n+++ f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n",
  );
});

Deno.test("writeChange() writes atomically and keeps a .bak", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "sub", "f.json");
    await t.step("creates the file and its folder, no .bak", async () => {
      const c: FileChange = { path, before: undefined, after: "one\n" };
      assert.equal(statusOf(c), "created");
      await writeChange(c);
      assert.equal(await Deno.readTextFile(path), "one\n");
      await assert.rejects(() => Deno.stat(`${path}.bak`), Deno.errors.NotFound);
    });
    await t.step(
      "replaces the file, keeping its mode; .bak holds the previous content",
      async () => {
        if (Deno.build.os !== "windows") await Deno.chmod(path, 0o600);
        const c: FileChange = { path, before: "one\n", after: "two\n" };
        assert.equal(statusOf(c), "updated");
        await writeChange(c);
        assert.equal(await Deno.readTextFile(path), "two\n");
        assert.equal(await Deno.readTextFile(`${path}.bak`), "one\n");
        if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
        const names = [...Deno.readDirSync(join(dir, "sub"))].map((e) => e.name).sort();
        assert.deepEqual(names, ["f.json", "f.json.bak"], "no temp file left");
      },
    );
    await t.step("refuses when the file changed since it was read", async () => {
      await assert.rejects(
        () => writeChange({ path, before: "one\n", after: "three\n" }),
        (e: Error) => e instanceof MeshError && /changed while setup was running/.test(e.message),
      );
      assert.equal(await Deno.readTextFile(path), "two\n");
    });
    if (Deno.build.os !== "windows") {
      await t.step("writes through a symbolic link", async () => {
        const link = join(dir, "link.json");
        await Deno.symlink(path, link);
        await writeChange({ path: link, before: "two\n", after: "four\n" });
        assert.ok((await Deno.lstat(link)).isSymlink);
        assert.equal(await Deno.readTextFile(path), "four\n");
        assert.equal(await Deno.readTextFile(`${link}.bak`), "two\n");
      });
    }
    assert.equal(statusOf({ path, before: "x", after: "x" }), "unchanged");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("setHooks() sets agent-mesh's hooks, keeps others, and is idempotent", () => {
  const other = { type: "command", command: "lint-on-save", timeout: 5 };
  const before = JSON.stringify(
    {
      model: "x",
      hooks: {
        PostToolUse: [{ matcher: "Edit", hooks: [other] }],
        Stop: [{ hooks: [{ type: "command", command: "old/agent-mesh hook Stop --as zed" }] }],
      },
    },
    null,
    4,
  ) + "\n";
  const cmd = (e: string) => `agent-mesh hook ${e} --as alice`;
  const after = setHooks(before, cmd);
  const doc = JSON.parse(after);
  assert.equal(doc.model, "x");
  assert.ok(after.startsWith('{\n    "model": "x",'), "other keys keep their bytes");
  assert.deepEqual(doc.hooks.PostToolUse[0], { matcher: "Edit", hooks: [other] });
  assert.equal(doc.hooks.PostToolUse[1].hooks[0].command, cmd("PostToolUse"));
  assert.equal(doc.hooks.Stop.length, 1, "an older agent-mesh hook is replaced");
  assert.deepEqual(doc.hooks.Stop[0].hooks[0], {
    type: "command",
    command: cmd("Stop"),
    timeout: 86400,
    async: true,
    asyncRewake: true,
  });
  assert.equal(setHooks(after, cmd), after, "idempotent");
  assert.throws(() => setHooks('{"hooks": []}', cmd), BadConfigFile);
  assert.throws(() => setHooks("{nope", cmd), BadConfigFile);
});

Deno.test("hookCommand() quotes for the shell and keeps Deno quiet", () => {
  const c = hookCommand(
    { command: "/usr/bin/deno", args: ["run", "-A", "/a b/main.ts"] },
    "SessionStart",
    "alice",
    "it's me",
    { AGENT_MESH_DB: "/x y/m.db" },
  );
  assert.equal(
    c,
    "AGENT_MESH_DB='/x y/m.db' exec /usr/bin/deno run -q -A '/a b/main.ts' hook SessionStart --as alice --role 'it'\\''s me'",
  );
});
