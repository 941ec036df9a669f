/**
 * One client cannot lock everyone out (issue 13, point 6), and serve says what it
 * does (issue 11, point 8): sessions are capped per agent name and per anonymous
 * client below the server's cap, a session opened and never used is closed after
 * a minute (or at once to make room when the server is full), the 503 says what to
 * do, and the server logs each session opened and closed.
 */
import assert from "node:assert/strict";
import { startHttp } from "../mcp/http/serve.ts";
import { RAW_INITIALIZE } from "./harness/mcp_channel.ts";
import { openEnvMesh } from "./harness/mcp_probe.ts";
import { RawStdio } from "./harness/mcp_raw.ts";
import { openTestMesh, sseAgent, startHttpServer, streamableAgent } from "./harness/mcp_server.ts";
import { engines } from "./harness/store_engines.ts";
import { eventually } from "./harness/timing.ts";

const embedded = engines().find((e) => e.name === "embedded")!;

const HEADERS = {
  accept: "application/json, text/event-stream",
  "content-type": "application/json",
  "mcp-protocol-version": "2025-11-25",
};

/** Opens a session with a bare initialize (and nothing after): status, session id, body. */
async function initialize(base: string, path = "/mcp") {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify(RAW_INITIALIZE),
  });
  return {
    status: res.status,
    session: res.headers.get("mcp-session-id"),
    retryAfter: res.headers.get("retry-after"),
    text: await res.text(),
  };
}

/** One request of an open session; its status. */
async function use(base: string, session: string): Promise<number> {
  const res = await fetch(`${base}/mcp`, {
    method: "POST",
    headers: { ...HEADERS, "mcp-session-id": session },
    body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
  });
  await res.body?.cancel();
  return res.status;
}

/** Resolves once the server's log matches `re` (a session closes in the background); bounded. */
async function logged(server: { stderr(): string }, re: RegExp, what: string): Promise<void> {
  // null once found; else the log's tail, for the message when it never comes
  const missing = () =>
    Promise.resolve(re.test(server.stderr()) ? null : server.stderr().slice(-600));
  await eventually(missing, (tail) => tail === null, what);
}

Deno.test("one anonymous client cannot fill the server: it is capped, others still get in, the 503 says what to do", async () => {
  await using mesh = await openTestMesh(embedded);
  await using server = await startHttpServer(mesh.env);
  let opened = 0;
  let refused: Awaited<ReturnType<typeof initialize>> | null = null;
  // As fast as one client can: 20 at a time, until refused (or well past the cap).
  while (!refused && opened < 260) {
    const batch = await Promise.all(Array.from({ length: 20 }, () => initialize(server.base)));
    opened += batch.filter((r) => r.status === 200).length;
    refused = batch.find((r) => r.status !== 200) ?? null;
  }
  assert.equal(opened, 200, "an anonymous client holds at most 200 sessions");
  assert.equal(refused?.status, 503);
  const message = JSON.parse(refused!.text).error.message;
  assert.match(
    message,
    /^Too many sessions for 127\.0\.0\.1 without an agent name \(at most 200\): close the sessions you no longer use \(DELETE \/mcp/,
  );
  assert.match(message, /try again in 60 s/);
  assert.equal(refused!.retryAfter, "60");

  // Everyone else still gets in: agents by name, on both transports.
  await using bob = await streamableAgent(server.base, {}, "/mcp?as=bob");
  assert.equal((await bob.call("mesh_send", { to: "ann", message: "got in" })).ok, true);
  await using carol = await sseAgent(server.base, {}, "/sse?as=carol");
  assert.ok(Array.isArray((await carol.call("mesh_who")).agents));

  // One agent name is capped too, and does not block another.
  const asDan = await Promise.all(
    Array.from({ length: 17 }, () => initialize(server.base, "/mcp?as=dan")),
  );
  assert.equal(asDan.filter((r) => r.status === 200).length, 16);
  assert.match(
    asDan.find((r) => r.status === 503)!.text,
    /Too many sessions for agent \\"dan\\" \(at most 16\)/,
  );
  assert.equal((await initialize(server.base, "/mcp?as=erin")).status, 200);

  // One line per session opened and closed: agent, transport, id prefix.
  const log = server.stderr();
  assert.match(log, /agent-mesh: session [0-9a-f]{8} \(streamable-http, no agent\) opened\n/);
  assert.match(log, /agent-mesh: session [0-9a-f]{8} \(streamable-http, agent bob\) opened\n/);
  assert.match(log, /agent-mesh: session [0-9a-f]{8} \(sse, agent carol\) opened\n/);
  await bob[Symbol.asyncDispose]();
  await carol[Symbol.asyncDispose]();
  await logged(
    server,
    /session [0-9a-f]{8} \(streamable-http, agent bob\) closed\n/,
    "bob's close",
  );
  await logged(server, /session [0-9a-f]{8} \(sse, agent carol\) closed\n/, "carol's close");
});

Deno.test("sessions never used are closed after 60 s, or at once to make room; used ones stay (clock driven)", async () => {
  await using mesh = await openTestMesh(embedded);
  await using direct = await openEnvMesh(mesh.env);
  let clock = 1_000_000;
  const log: string[] = [];
  const running = await startHttp(direct, {
    hostname: "127.0.0.1",
    port: 0,
    limits: { total: 6, perAgent: 2, perAnonymous: 4 },
    now: () => clock,
    log: (line) => log.push(line),
  });
  try {
    const base = `http://127.0.0.1:${running.port}`;
    const anon = [];
    for (let i = 0; i < 4; i++) anon.push((await initialize(base)).session!);
    assert.equal((await initialize(base)).status, 503, "a fifth anonymous session is over its cap");
    assert.equal(await use(base, anon[3]), 200); // the newest anonymous one is used

    const alice = await initialize(base, "/mcp?as=alice");
    const bob = await initialize(base, "/mcp?as=bob");
    assert.deepEqual([alice.status, bob.status], [200, 200]);
    assert.equal(await use(base, alice.session!), 200);
    // Full (6): a newcomer gets in, and the oldest never-used session makes room.
    const carol = await initialize(base, "/mcp?as=carol");
    assert.equal(carol.status, 200, carol.text);
    assert.equal(await use(base, anon[0]), 404);
    assert.ok(log.some((l) => l.endsWith("closed to make room: never used")), log.join("\n"));

    clock += 59_000;
    running.handler.sweep();
    // (Only sessions already used are asked: a request would count as a use.)
    for (const id of [anon[3], alice.session!]) assert.equal(await use(base, id), 200);
    clock += 2_000; // 61 s after they opened
    const dave = await initialize(base, "/mcp?as=dave"); // opened now: young
    running.handler.sweep();
    for (const id of [anon[1], anon[2], bob.session!, carol.session!]) {
      assert.equal(await use(base, id), 404, "never used for 61 s: closed");
    }
    for (const id of [anon[3], alice.session!, dave.session!]) {
      assert.equal(await use(base, id), 200);
    }
    assert.ok(
      log.some((l) => /closed: no request but initialize within 60 s$/.test(l)),
      log.join("\n"),
    );
    assert.equal((await initialize(base)).status, 200, "room again for an anonymous client");
  } finally {
    await running.close();
  }
});

Deno.test("serve over stdio says on stderr that it waits for a client", async () => {
  await using mesh = await openTestMesh(embedded);
  await using raw = new RawStdio(mesh.env, ["--as", "kim"]);
  const said = await raw.stderrMatching(/waiting for a client/);
  assert.match(
    said,
    /^agent-mesh: MCP server on stdio \(embedded engine, agent kim\): waiting for a client on stdin \(Ctrl-C stops it\)\n/,
  );
  assert.equal(raw.messages.length, 0, "nothing on stdout before a client speaks");
  assert.equal(await raw.close(), 0);
});
