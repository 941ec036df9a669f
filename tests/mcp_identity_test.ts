/**
 * Identities cannot be borrowed (issue 13, point 5): a session bound as eve acts
 * on eve's name only (read-only views of others when `--allow-views`), agent
 * tokens guard `?as=NAME` over HTTP, and a reply written by someone other than
 * the agent asked is shown as such, in MCP and on the CLI.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { engines } from "./harness/store_engines.ts";
import {
  type McpAgent,
  openTestMesh,
  runCli,
  startHttpServer,
  stdioAgent,
  streamableAgent,
} from "./harness/mcp_server.ts";
import { RAW_INITIALIZE, whoRoles } from "./harness/mcp_channel.ts";
import { openEnvMesh, unacknowledged } from "./harness/mcp_probe.ts";

const embedded = engines().find((e) => e.name === "embedded")!;

function toolError(result: { isError?: boolean; content: unknown }): string {
  assert.equal(result.isError, true, JSON.stringify(result));
  const text = (result.content as { text: string }[])[0].text;
  assert.doesNotMatch(text, /\n/, "one line");
  return text;
}

/** The six tools that name an agent, each called by `eve` for alice. */
const BORROWING: [string, Record<string, unknown>][] = [
  ["mesh_listen", { name: "alice", timeout_s: 1 }],
  ["mesh_listen_once", { name: "alice", timeout_s: 1 }],
  ["mesh_history", { name: "alice" }],
  ["mesh_register", { name: "alice", role: "impostor" }],
  ["mesh_deregister", { name: "alice" }],
  ["mesh_pending", { name: "alice" }],
];

async function refusesBorrowing(eve: McpAgent, tools: string[]) {
  for (const [tool, args] of BORROWING.filter(([t]) => tools.includes(t))) {
    const text = toolError(await eve.raw(tool, args));
    assert.match(
      text,
      new RegExp(
        `^Cannot use ${tool} for "alice": this session is agent "eve" and acts on its own name only`,
      ),
    );
  }
}

for (const engine of engines()) {
  Deno.test({
    name: `a session bound as eve cannot act as alice (${engine.name})`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using mesh = await openTestMesh(engine);
      const registered = await runCli(mesh.env, ["register", "alice", "--role", "real alice"]);
      assert.equal(registered.code, 0, registered.stderr);
      const sent = await runCli(mesh.env, ["send", "alice", "for alice only", "--from", "bob"]);
      assert.equal(sent.code, 0, sent.stderr);

      await using eve = await stdioAgent(mesh.env, ["--as", "eve"]);
      await refusesBorrowing(eve, BORROWING.map(([t]) => t));
      // Nothing happened to alice: her message untaken, her registration as it was.
      assert.deepEqual(
        (await unacknowledged(mesh.env, "alice")).map((m) => m.text),
        ["for alice only"],
      );
      assert.deepEqual(
        (await whoRoles(mesh.env)).filter(([a]) => a === "alice"),
        [["alice", "real alice"]],
      );
      // Its own name, and the group stream (everyone's), stay open to it.
      assert.deepEqual((await eve.call("mesh_history", { name: "eve" })).messages, []);
      assert.ok(
        Array.isArray((await eve.call("mesh_history", { name: "alice", scope: "group" })).messages),
      );
      assert.deepEqual((await eve.call("mesh_pending", { name: "eve" })).entries, []);
      assert.equal((await eve.call("mesh_register", { name: "eve", role: "me" })).ok, true);
    },
  });
}

Deno.test("serve --allow-views lets a bound session read others' history and ledger, nothing more", async () => {
  await using mesh = await openTestMesh(embedded);
  const sent = await runCli(mesh.env, ["send", "alice", "readable", "--from", "bob"]);
  assert.equal(sent.code, 0, sent.stderr);
  await using eve = await stdioAgent(mesh.env, ["--as", "eve", "--allow-views"]);
  const history = await eve.call<{ messages: { text: string }[] }>("mesh_history", {
    name: "alice",
  });
  assert.deepEqual(history.messages.map((m) => m.text), ["readable"]);
  assert.deepEqual((await eve.call("mesh_pending", { name: "alice" })).entries, []);
  await refusesBorrowing(eve, [
    "mesh_listen",
    "mesh_listen_once",
    "mesh_register",
    "mesh_deregister",
  ]);

  // Over HTTP the same rules hold per session, and --allow-views is the server's.
  await using server = await startHttpServer(mesh.env, ["--allow-views"]);
  await using httpEve = await streamableAgent(server.base, {}, "/mcp?as=eve");
  await refusesBorrowing(httpEve, ["mesh_listen", "mesh_deregister"]);
  const seen = await httpEve.call<{ messages: { text: string }[] }>("mesh_history", {
    name: "alice",
  });
  assert.deepEqual(seen.messages.map((m) => m.text), ["readable"]);
});

Deno.test("a session over HTTP bound as eve cannot act as alice without --allow-views either", async () => {
  await using mesh = await openTestMesh(embedded);
  await using server = await startHttpServer(mesh.env);
  await using eve = await streamableAgent(server.base, {}, "/mcp?as=eve");
  await refusesBorrowing(eve, BORROWING.map(([t]) => t));
});

const INIT = JSON.stringify(RAW_INITIALIZE);
const HEADERS = {
  accept: "application/json, text/event-stream",
  "content-type": "application/json",
};

async function open(base: string, path: string, authorization?: string) {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { ...HEADERS, ...(authorization ? { authorization } : {}) },
    body: INIT,
  });
  return { status: res.status, text: await res.text(), session: res.headers.get("mcp-session-id") };
}

Deno.test("agent tokens: created once, stored hashed in a 0600 file, required for ?as=NAME, revocable", async () => {
  await using mesh = await openTestMesh(embedded);
  const env = mesh.env;
  const none = await runCli(env, ["token", "list"]);
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stdout, /no agent tokens/);

  const created = await runCli(env, ["token", "create", "alice"]);
  assert.equal(created.code, 0, created.stderr);
  const alice = created.stdout.trim();
  assert.match(alice, /^amt_[A-Za-z0-9_-]{43}$/);
  assert.match(created.stderr, /shown only this once/);
  const bob = (await runCli(env, ["token", "create", "bob"])).stdout.trim();
  assert.notEqual(alice, bob);

  const file = join(env.AGENT_MESH_HOME, "agent-tokens.json");
  const stored = await Deno.readTextFile(file);
  assert.ok(!stored.includes(alice) && !stored.includes(bob), "tokens are not stored");
  assert.ok(stored.includes(createHash("sha256").update(alice).digest("hex")), "their SHA-256 is");
  if (Deno.build.os !== "windows") assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);

  const again = await runCli(env, ["token", "create", "alice"]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^agent-mesh: Agent "alice" already has a token: revoke it first/);
  const badName = await runCli(env, ["token", "create", "../etc"]);
  assert.equal(badName.code, 2);
  const list = JSON.parse((await runCli(env, ["token", "list", "--json"])).stdout);
  assert.deepEqual(list.tokens.map((t: { agent: string }) => t.agent), ["alice", "bob"]);

  await using server = await startHttpServer(env);
  const missing = await open(server.base, "/mcp?as=alice");
  assert.equal(missing.status, 401);
  assert.match(
    missing.text,
    /agent tokens are on: send Authorization: Bearer <the token of \\"alice\\">/,
  );
  assert.equal((await open(server.base, "/mcp?as=alice", "Bearer amt_wrong")).status, 401);
  assert.equal((await open(server.base, "/mcp?as=alice", `Bearer ${bob}`)).status, 401);
  assert.equal((await open(server.base, "/mcp?as=carol", `Bearer ${alice}`)).status, 401);
  const unbound = await open(server.base, "/mcp");
  assert.equal(unbound.status, 401);
  assert.match(unbound.text, /open the session as an agent/);
  const sse = await fetch(`${server.base}/sse?as=alice`, {
    headers: { accept: "text/event-stream" },
  });
  await sse.body?.cancel();
  assert.equal(sse.status, 401);

  await using asAlice = await streamableAgent(
    server.base,
    { authorization: `Bearer ${alice}` },
    "/mcp?as=alice",
  );
  assert.equal((await asAlice.call("mesh_send", { to: "bob", message: "signed" })).ok, true);
  const viaHeader = await fetch(`${server.base}/mcp`, {
    method: "POST",
    headers: { ...HEADERS, "x-agent-name": "bob", authorization: `Bearer ${bob}` },
    body: INIT,
  });
  await viaHeader.body?.cancel();
  assert.equal(viaHeader.status, 200);

  // Revoked while the server runs: alice's next request is refused.
  const revoked = await runCli(env, ["token", "revoke", "alice"]);
  assert.equal(revoked.code, 0, revoked.stderr);
  const refused = await asAlice.raw("mesh_who").then(
    (r) => `answered ${JSON.stringify(r)}`,
    (err: Error) => err.message,
  );
  assert.match(refused, /Unauthorized: agent \\"alice\\" has no token/);
  const twice = await runCli(env, ["token", "revoke", "alice"]);
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /has no token/);
});

Deno.test("with agent tokens on, AGENT_MESH_TOKEN opens unbound sessions only", async () => {
  await using mesh = await openTestMesh(embedded, { AGENT_MESH_TOKEN: "server-wide-secret" });
  const alice = (await runCli(mesh.env, ["token", "create", "alice"])).stdout.trim();
  await using server = await startHttpServer(mesh.env);
  assert.equal((await open(server.base, "/mcp", "Bearer server-wide-secret")).status, 200);
  assert.equal((await open(server.base, "/mcp?as=alice", "Bearer server-wide-secret")).status, 401);
  assert.equal((await open(server.base, "/mcp?as=alice", `Bearer ${alice}`)).status, 200);
  assert.equal((await open(server.base, "/mcp", `Bearer ${alice}`)).status, 401);
});

Deno.test("a reply from someone other than the agent asked is shown as such, in MCP and on the CLI", async () => {
  await using mesh = await openTestMesh(embedded);
  const env = mesh.env;
  await using asker = await stdioAgent(env, ["--as", "alice"]);

  /** Answers the next request to bob as eve, the way anyone with the key could. */
  const forge = async () => {
    const listened = await runCli(env, ["listen", "bob", "--json", "--timeout", "20"]);
    assert.equal(listened.code, 0, listened.stderr);
    const key = JSON.parse(listened.stdout).message.reply_to;
    const replied = await runCli(env, ["reply", key, "approved", "--from", "eve"]);
    assert.equal(replied.code, 0, replied.stderr);
  };

  const asking = asker.call("mesh_request", { to: "bob", message: "may I deploy?", timeout_s: 30 });
  await forge();
  const answer = await asking;
  assert.equal(answer.reply, "approved");
  assert.equal(answer.reply_from, "eve");
  assert.equal(answer.unexpected_author, true);
  assert.equal(answer.warning, 'This answer was written by "eve", not by "bob" whom you asked');

  const cli = runCli(env, [
    "request",
    "bob",
    "may I deploy?",
    "--from",
    "alice",
    "--timeout",
    "30",
  ]);
  await forge();
  const out = await cli;
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "approved\n");
  assert.match(out.stderr, /this reply was written by "eve", not by "bob" whom you asked/);

  const json = runCli(env, [
    "request",
    "bob",
    "again?",
    "--from",
    "alice",
    "--json",
    "--timeout",
    "30",
  ]);
  await forge();
  const doc = JSON.parse((await json).stdout);
  assert.equal(doc.reply_from, "eve");
  assert.equal(doc.unexpected_author, true);

  // The real bob's answer is not flagged.
  await using direct = await openEnvMesh(env);
  const honest = asker.call("mesh_request", { to: "bob", message: "and you?", timeout_s: 30 });
  const listened = await runCli(env, ["listen", "bob", "--json", "--timeout", "20"]);
  const key = JSON.parse(listened.stdout).message.reply_to;
  await direct.reply({ from: "bob", replyTo: key, text: "yes" });
  const real = await honest;
  assert.deepEqual([real.reply, real.reply_from, real.unexpected_author], ["yes", "bob", false]);
  assert.equal(real.warning, undefined);
});
