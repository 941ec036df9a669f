/**
 * `agent-mesh setup redis-acl NAME` (issue 13, point 5): the printed ACL user,
 * applied to a real redis-server, lets each agent do all its work through the
 * CLI (send, listen, request and reply, ping, register, who), and refuses what
 * would borrow another agent: reading or taking its inbox, writing its registry
 * entry, deleting its keys, or wiping the database.
 */
import assert from "node:assert/strict";
import { engines } from "./harness/store_engines.ts";
import { openTestMesh, runCli } from "./harness/mcp_server.ts";

const redis = engines().find((e) => e.name === "redis")!;

/** Runs redis-cli against `url` with `input` on stdin (or `args`); its output. */
async function redisCli(url: string, args: string[], input?: string): Promise<string> {
  const child = new Deno.Command("redis-cli", {
    args: ["-u", url, ...args],
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(input));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return (dec.decode(out.stdout) + dec.decode(out.stderr)).trim();
}

/** Creates agent `name`'s ACL user from what `setup redis-acl` prints; its Redis URL. */
async function aclUser(env: Record<string, string>, name: string): Promise<string> {
  const r = await runCli(env, ["setup", "redis-acl", name]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^ACL SETUSER agent-${name} reset on >[0-9a-f]{64} `));
  assert.equal(r.stdout.trim().split("\n").length, 1, "one line, for redis-cli");
  assert.equal(await redisCli(env.AGENT_MESH_REDIS_URL, [], r.stdout), "OK");
  const url = r.stderr.match(/AGENT_MESH_REDIS_URL=(\S+)/)?.[1];
  assert.ok(url?.includes(`agent-${name}:`), r.stderr);
  return url!;
}

Deno.test({
  name: "setup redis-acl: each agent works through its ACL user, and cannot borrow another",
  ignore: redis.ignore,
  ...redis.testOptions,
  async fn() {
    await using mesh = await openTestMesh(redis);
    const p = mesh.opened.prefix;
    const as = (url: string) => ({ ...mesh.env, AGENT_MESH_REDIS_URL: url });
    const alice = as(await aclUser(mesh.env, "alice"));
    const bob = as(await aclUser(mesh.env, "bob"));
    const ok = async (env: Record<string, string>, args: string[]) => {
      const r = await runCli(env, args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };

    await ok(alice, ["register", "alice", "--role", "asks"]);
    await ok(bob, ["register", "bob", "--role", "answers"]);
    assert.match(await ok(alice, ["who"]), /alice[\s\S]*bob/);
    await ok(alice, ["send", "bob", "hi bob", "--from", "alice"]);
    assert.equal(
      JSON.parse(await ok(bob, ["listen", "bob", "--json", "--timeout", "10"])).message.text,
      "hi bob",
    );
    await ok(bob, ["send", "alice", "hi alice", "--from", "bob"]);
    assert.equal(
      JSON.parse(await ok(alice, ["listen", "alice", "--json", "--timeout", "10"])).message.text,
      "hi alice",
    );

    const asking = runCli(alice, [
      "request",
      "bob",
      "ready?",
      "--from",
      "alice",
      "--timeout",
      "20",
    ]);
    const question =
      JSON.parse(await ok(bob, ["listen", "bob", "--json", "--timeout", "20"])).message;
    await ok(bob, ["reply", question.reply_to, "ready", "--from", "bob"]);
    const asked = await asking;
    assert.equal(asked.code, 0, asked.stderr);
    assert.equal(asked.stdout, "ready\n");

    const listening = runCli(bob, ["listen", "bob", "--timeout", "20"]);
    assert.match(
      await ok(alice, ["ping", "bob", "--from", "alice", "--timeout", "20"]),
      /^pong from bob/,
    );
    await ok(alice, ["send", "bob", "done", "--from", "alice", "--private"]);
    assert.equal((await listening).code, 0);

    // bob's acknowledgements trim his own inbox's read history to AGENT_MESH_HISTORY: his
    // user may; alice's sends need no such right.
    const bobShort = { ...bob, AGENT_MESH_HISTORY: "10" };
    for (let i = 0; i < 12; i++) {
      await ok(alice, ["send", "bob", `n${i}`, "--from", "alice", "--private"]);
    }
    for (let i = 0; i < 12; i++) {
      const got = JSON.parse(await ok(bobShort, ["listen", "bob", "--json", "--timeout", "10"]));
      assert.equal(got.message.text, `n${i}`);
    }
    const xlen = await redisCli(bob.AGENT_MESH_REDIS_URL, ["XLEN", `${p}:to_bob`]);
    const left = Number(/^\d+$/m.exec(xlen)?.[0]);
    assert.ok(left <= 13, `bob's read history was not trimmed: ${left} entries`);

    // What alice's user may not do to bob, nor to everyone.
    const aliceUrl = alice.AGENT_MESH_REDIS_URL;
    for (
      const command of [
        ["XRANGE", `${p}:to_bob`, "-", "+"],
        [
          "XREADGROUP",
          "GROUP",
          "agent-mesh:bob",
          "agent-mesh",
          "COUNT",
          "1",
          "STREAMS",
          `${p}:to_bob`,
          ">",
        ],
        ["XACK", `${p}:to_bob`, "agent-mesh:bob", "0-1"],
        ["XTRIM", `${p}:to_bob`, "MINID", "0"],
        ["DEL", `${p}:to_bob`],
        ["SET", `${p}:registry:bob`, "{}"],
        ["DEL", `${p}:registry:bob`],
        ["FLUSHALL"],
        ["KEYS", "*"],
        ["CONFIG", "GET", "*"],
      ]
    ) {
      assert.match(await redisCli(aliceUrl, command), /NOPERM/, command.join(" "));
    }
    const taking = await runCli(alice, ["listen", "bob", "--timeout", "1"]);
    assert.equal(taking.code, 1);
    assert.match(taking.stderr, /permission denied/);
    // bob's registration is intact.
    assert.match(await ok(bob, ["who"]), /^bob\s.*\banswers$/m);
  },
});

Deno.test("setup redis-acl refuses a bad name and extra flags", async () => {
  await using mesh = await openTestMesh(engines()[0]);
  const bad = await runCli(mesh.env, ["setup", "redis-acl", "../x"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, "");
  const flag = await runCli(mesh.env, ["setup", "redis-acl", "alice", "--as", "bob"]);
  assert.equal(flag.code, 2);
  const missing = await runCli(mesh.env, ["setup", "redis-acl"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Missing NAME/);
});
