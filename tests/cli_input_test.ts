/**
 * Bad input: one line on stderr, exit 2 for usage and 1 for runtime failures, no
 * stack trace, and nothing written. Also the rate gate's observe and enforce modes.
 */
import assert from "node:assert/strict";
import { openMesh } from "./harness/cli.ts";
import { engines } from "./harness/store_engines.ts";

const BAD: Array<{ why: string; args: string[]; env?: Record<string, string>; error: RegExp }> = [
  { why: "invalid target name", args: ["send", "bo b", "hi"], error: /Invalid target name "bo b"/ },
  { why: "name with a path", args: ["listen", "../../etc"], error: /Invalid agent name/ },
  { why: "name too long", args: ["register", "x".repeat(65)], error: /longer than 64/ },
  { why: "invalid sender", args: ["send", "bob", "hi", "--from", "a.b"], error: /sender name/ },
  {
    why: "unknown flag",
    args: ["send", "bob", "hi", "--bogus"],
    error: /^agent-mesh: Unknown flag "--bogus" \(see "agent-mesh help send"\)\n$/,
  },
  { why: "missing argument", args: ["send", "bob"], error: /Missing MESSAGE/ },
  { why: "extra argument", args: ["send", "bob", "hi", "there"], error: /Unexpected argument/ },
  {
    why: "non-numeric timeout",
    args: ["ping", "bob", "--timeout", "soon"],
    error: /--timeout "soon"/,
  },
  { why: "negative timeout", args: ["listen", "bob", "--timeout", "-1"], error: /negative/ },
  {
    why: "--expect-reply from the anonymous cli",
    args: ["send", "bob", "hi", "-e"],
    error: /Refusing --expect-reply from the anonymous "cli"/,
  },
  { why: "empty message", args: ["send", "bob", " "], error: /^agent-mesh: Empty message: / },
  { why: "empty message from stdin", args: ["broadcast", "-"], error: /Empty message/ },
  {
    why: "message and --file",
    args: ["send", "bob", "hi", "--file", "/dev/null"],
    error: /Give MESSAGE as an argument or with --file, not both/,
  },
  {
    why: "unreadable --file",
    args: ["request", "bob", "--file", "/nonexistent/x"],
    error: /Cannot read --file "\/nonexistent\/x"/,
  },
  {
    why: "mistyped flag",
    args: ["send", "bob", "hi", "--form", "al"],
    error: /did you mean --from\?/,
  },
  {
    why: "flag without its value",
    args: ["ping", "bob", "--from"],
    error: /Missing value for --from NAME/,
  },
  { why: "demo takes no flags", args: ["demo", "--bogus"], error: /Unknown flag "--bogus"/ },
  { why: "setup without a target", args: ["setup"], error: /Missing TARGET: expected claude-code/ },
  {
    why: "oversized message",
    args: ["send", "bob", "x".repeat(11)],
    env: { AGENT_MESH_MAX_BYTES: "10" },
    error: /11 bytes, over the limit of 10/,
  },
  {
    why: "invalid environment value",
    args: ["send", "bob", "hi"],
    env: { AGENT_MESH_GATE_LIMIT: "lots" },
    error: /Invalid AGENT_MESH_GATE_LIMIT "lots"/,
  },
  {
    why: "unknown command",
    args: ["sned", "bob"],
    error: /^agent-mesh: Unknown command "sned" \(did you mean send\?\)\n$/,
  },
];

for (const engine of engines()) {
  const opts = { ignore: engine.ignore, ...engine.testOptions };

  Deno.test({
    name: `${engine.name}: bad input gets one line, exit 2, and writes nothing`,
    ...opts,
    async fn(t) {
      await using m = await openMesh(engine);
      const before = await m.opened.store.scan("");
      for (const bad of BAD) {
        await t.step(bad.why, async () => {
          const r = await m.cliEnv(bad.env ?? {}, ...bad.args);
          assert.equal(r.code, 2, r.stderr);
          assert.equal(r.stdout, "");
          assert.match(r.stderr, /^agent-mesh: [^\n]+\n$/, "exactly one line");
          assert.match(r.stderr, bad.error);
          assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/, "no stack trace");
        });
      }
      assert.deepEqual(await m.opened.store.scan(""), before, "nothing was written");
      for await (const f of Deno.readDir(m.home)) assert.fail(`a file was created: ${f.name}`);
    },
  });

  Deno.test({
    name: `${engine.name}: the rate gate observes by default and denies when enforcing`,
    ...opts,
    async fn() {
      await using m = await openMesh(engine);
      const p = m.opened.prefix;
      const env = { AGENT_MESH_GATE_LIMIT: "2" };
      for (let i = 0; i < 3; i++) {
        const r = await m.cliEnv(env, "send", "bob", `o${i}`, "--from", "al");
        assert.equal(r.code, 0, r.stderr);
      }
      assert.equal(await m.opened.store.length(`${p}:to_bob`), 3, "observe still delivers");
      const enforce = { ...env, AGENT_MESH_GATE_ENFORCE: "1" };
      const r = await m.cliEnv(enforce, "send", "bob", "too many", "--from", "al");
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /^agent-mesh: Rate limit: al sent more than 2 messages to bob in 10 s[^\n]*\n$/,
      );
      assert.equal(await m.opened.store.length(`${p}:to_bob`), 3, "deny does not deliver");
      const audit = await m.opened.store.range(`${p}:gate:audit`);
      assert.deepEqual(audit.map((e) => e.fields.verdict), ["allow", "allow", "observe", "deny"]);
      assert.deepEqual(audit.map((e) => e.fields.rate), ["1", "2", "3", "4"]);
      assert.equal(audit[3].fields.msg, "too many");
      assert.deepEqual(Object.keys(audit[0].fields).sort(), [
        "from",
        "msg",
        "rate",
        "to",
        "ts",
        "verdict",
        "window",
      ]);
    },
  });
}

Deno.test("an unreachable Redis is one line naming the URL and how to start Redis", async () => {
  const { runCli } = await import("./harness/cli.ts");
  const { freePort } = await import("./harness/redis_server.ts");
  const url = `redis://:secret@127.0.0.1:${freePort()}/0`;
  const r = await runCli({ AGENT_MESH_REDIS_URL: url }, ["who"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^agent-mesh: [^\n]+\n$/);
  assert.match(r.stderr, /127\.0\.0\.1/);
  assert.match(r.stderr, /docker compose up -d/);
  assert.doesNotMatch(r.stderr, /secret/);
});
