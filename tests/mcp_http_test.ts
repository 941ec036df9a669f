/**
 * The HTTP front of `serve --http`: sessions of /mcp, malformed bodies, Host and
 * Origin checks, the token, /health, and refusing an exposed bind.
 */
import assert from "node:assert/strict";
import { engines } from "./harness/store_engines.ts";
import {
  openTestMesh,
  runCli,
  sseAgent,
  startHttpServer,
  streamableAgent,
} from "./harness/mcp_server.ts";
import { withDeadline } from "./harness/timing.ts";
import { RAW_INITIALIZE } from "./harness/mcp_channel.ts";
import { untilListening, untilNotListening } from "./harness/listening.ts";

const embedded = engines().find((e) => e.name === "embedded")!;

const INIT = RAW_INITIALIZE;
const ACCEPT = {
  accept: "application/json, text/event-stream",
  "content-type": "application/json",
};

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", body, headers: { ...ACCEPT, ...headers } });
  const text = await res.text();
  return { res, text };
}

/** The status of `GET path` sent with this exact Host header (none when empty). */
async function statusWithHost(port: number, path: string, host: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const head = `GET ${path} HTTP/1.1\r\n${host ? `Host: ${host}\r\n` : ""}` +
      "Accept: text/event-stream\r\nConnection: close\r\n\r\n";
    await conn.write(new TextEncoder().encode(head));
    const buf = new Uint8Array(256);
    const n = await conn.read(buf);
    const line = new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\r\n")[0];
    return Number(line.split(" ")[1]);
  } finally {
    conn.close();
  }
}

/** The JSON-RPC error code of an error body. */
function code(text: string): number {
  return JSON.parse(text).error.code;
}

Deno.test("/mcp keeps sessions: unknown id 404, GET stream, DELETE ends it, bad bodies are parse errors", async () => {
  await using mesh = await openTestMesh(embedded);
  await using server = await startHttpServer(mesh.env);
  const mcp = `${server.base}/mcp`;

  const init = await post(mcp, JSON.stringify(INIT));
  assert.equal(init.res.status, 200);
  const session = init.res.headers.get("mcp-session-id")!;
  assert.match(session, /^[0-9a-f-]{36}$/);
  assert.match(init.text, /"serverInfo":\{"name":"agent-mesh"/);

  const unknown = await post(mcp, '{"jsonrpc":"2.0","id":2,"method":"tools/list"}', {
    "mcp-session-id": crypto.randomUUID(),
  });
  assert.equal(unknown.res.status, 404);
  assert.equal(code(unknown.text), -32001);

  const noSession = await post(mcp, '{"jsonrpc":"2.0","id":2,"method":"tools/list"}');
  assert.equal(noSession.res.status, 400);

  for (const headers of [{}, { "mcp-session-id": session }] as Record<string, string>[]) {
    const bad = await post(mcp, "{not json", headers);
    assert.equal(bad.res.status, 400);
    assert.equal(code(bad.text), -32700, bad.text);
  }
  const notRpc = await post(mcp, '{"hello": "world"}', { "mcp-session-id": session });
  assert.equal(notRpc.res.status, 400);
  assert.equal(code(notRpc.text), -32700);

  const stream = await fetch(mcp, {
    headers: { accept: "text/event-stream", "mcp-session-id": session },
  });
  assert.equal(stream.status, 200);
  assert.match(stream.headers.get("content-type") ?? "", /^text\/event-stream/);
  await stream.body?.cancel();

  const health = await (await fetch(`${server.base}/health`)).json();
  assert.equal(health.ok, true);
  assert.equal(health.engine, "embedded");
  assert.equal(health.sessions.streamable, 1);

  const del = await fetch(mcp, { method: "DELETE", headers: { "mcp-session-id": session } });
  await del.body?.cancel();
  assert.equal(del.status, 200);
  const gone = await post(mcp, '{"jsonrpc":"2.0","id":3,"method":"tools/list"}', {
    "mcp-session-id": session,
  });
  assert.equal(gone.res.status, 404);

  const sseBad = await post(`${server.base}/messages?sessionId=nope`, "{}");
  assert.equal(sseBad.res.status, 404);
  const missing = await fetch(`${server.base}/nowhere`);
  await missing.body?.cancel();
  assert.equal(missing.status, 404);
  assert.equal(await server.stop(), 0, server.stderr());
});

Deno.test("legacy /messages answers malformed bodies with parse errors and the session goes on", async () => {
  await using mesh = await openTestMesh(embedded);
  await using server = await startHttpServer(mesh.env);
  // Open a raw SSE session and read its endpoint event.
  const sse = await fetch(`${server.base}/sse`, { headers: { accept: "text/event-stream" } });
  assert.equal(sse.status, 200);
  const reader = sse.body!.pipeThrough(new TextDecoderStream()).getReader();
  let head = "";
  for (let i = 0; i < 20 && !head.includes("\n\n"); i++) {
    head += (await withDeadline(reader.read(), 10_000, "SSE event")).value ?? "";
  }
  const endpoint = head.match(/data: (\/messages\?sessionId=\S+)/)?.[1];
  assert.ok(endpoint, head);
  const url = `${server.base}${endpoint}`;
  const bad = await post(url, "{not json");
  assert.equal(bad.res.status, 400);
  assert.equal(code(bad.text), -32700);
  const notRpc = await post(url, "[1, 2]");
  assert.equal(notRpc.res.status, 400);
  assert.equal(code(notRpc.text), -32700);
  const ok = await post(url, JSON.stringify(INIT));
  assert.equal(ok.res.status, 202);
  let rest = "";
  for (let i = 0; i < 20 && !rest.includes('"serverInfo"'); i++) {
    rest += (await withDeadline(reader.read(), 10_000, "SSE event")).value ?? "";
  }
  assert.match(rest, /event: message\ndata: \{"result":\{"protocolVersion"/);
  await reader.cancel();
});

Deno.test("requests with a foreign Host or Origin are refused", async () => {
  await using mesh = await openTestMesh(embedded);
  await using server = await startHttpServer(mesh.env);
  const refused: Record<string, string>[] = [
    { origin: "http://evil.example" },
    { origin: "null" },
    { origin: `http://127.0.0.1:${server.port + 1}` },
  ];
  for (const headers of refused) {
    for (const path of ["/mcp", "/sse"]) {
      let status: number;
      if (path === "/mcp") {
        status = (await post(`${server.base}${path}`, JSON.stringify(INIT), headers)).res.status;
      } else {
        const res = await fetch(`${server.base}${path}`, { headers });
        await res.body?.cancel();
        status = res.status;
      }
      assert.equal(status, 403, `${path} with ${JSON.stringify(headers)}`);
    }
  }
  // fetch() will not send another Host: speak HTTP/1.1 by hand.
  for (const host of [`evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, ""]) {
    for (const path of ["/mcp", "/sse", "/health"]) {
      assert.equal(await statusWithHost(server.port, path, host), 403, `${path} with Host ${host}`);
    }
  }
  assert.equal(await statusWithHost(server.port, "/health", `localhost:${server.port}`), 200);
  for (const origin of [server.base, `http://localhost:${server.port}`]) {
    const own = await post(`${server.base}/mcp`, JSON.stringify(INIT), { origin });
    assert.equal(own.res.status, 200, `Origin ${origin}`);
  }
  await using client = await streamableAgent(`http://localhost:${server.port}`);
  assert.equal((await client.call("mesh_who")).agents instanceof Array, true);
});

Deno.test("AGENT_MESH_TOKEN is required on every endpoint but /health, and accepted", async () => {
  const token = "s3cret-token-for-tests";
  await using mesh = await openTestMesh(embedded, { AGENT_MESH_TOKEN: token });
  await using server = await startHttpServer(mesh.env);
  const health = await fetch(`${server.base}/health`);
  assert.equal(health.status, 200);
  await health.body?.cancel();
  for (const auth of [undefined, "Bearer wrong", `Basic ${token}`, `Bearer ${token}x`]) {
    const headers: Record<string, string> = auth ? { authorization: auth } : {};
    const mcp = await post(`${server.base}/mcp`, JSON.stringify(INIT), headers);
    assert.equal(mcp.res.status, 401, `/mcp with ${auth}`);
    const sse = await fetch(`${server.base}/sse`, { headers });
    await sse.body?.cancel();
    assert.equal(sse.status, 401, `/sse with ${auth}`);
    const messages = await post(`${server.base}/messages?sessionId=x`, "{}", headers);
    assert.equal(messages.res.status, 401);
  }
  const authorization = `Bearer ${token}`;
  await using b = await streamableAgent(server.base, { authorization });
  await using c = await sseAgent(server.base, { authorization });
  const waiting = c.call<{ message: { text: string } | null }>("mesh_listen", {
    name: "tok",
    timeout_s: 20,
  });
  await b.call("mesh_send", { to: "tok", message: "with a token" });
  assert.equal((await waiting).message?.text, "with a token");
  await assert.rejects(streamableAgent(server.base));
});

Deno.test("serve refuses a non-loopback address without a token, and bad flags", async () => {
  await using mesh = await openTestMesh(embedded);
  const exposed = await runCli(mesh.env, ["serve", "--http", "--host", "0.0.0.0", "--port", "0"]);
  assert.equal(exposed.code, 2);
  assert.match(exposed.stderr, /Refusing to serve on 0\.0\.0\.0 without AGENT_MESH_TOKEN/);
  assert.equal(exposed.stdout, "");
  const stray = await runCli(mesh.env, ["serve", "--port", "9"]);
  assert.equal(stray.code, 2);
  assert.match(stray.stderr, /go with --http/);
  const badPort = await runCli(mesh.env, ["serve", "--http", "--port", "http"]);
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /Invalid --port "http"/);
});

Deno.test("bad input on one HTTP session does not disturb another", async () => {
  await using mesh = await openTestMesh(embedded);
  await using server = await startHttpServer(mesh.env);
  await using good = await streamableAgent(server.base);
  await using bad = await sseAgent(server.base);
  const waiting = good.call<{ message: { text: string } | null }>("mesh_listen", {
    name: "steady",
    timeout_s: 20,
  });
  for (const args of [{ to: [], message: "x" }, {}, { to: "ok", message: { no: 1 } }]) {
    const result = await bad.raw("mesh_send", args);
    assert.equal(result.isError, true);
  }
  assert.equal((await bad.raw("mesh_unknown", {})).isError, true);
  await bad.call("mesh_send", { to: "steady", message: "fine" });
  assert.equal((await waiting).message?.text, "fine");
  assert.equal(await server.stop(), 0, server.stderr());
});

Deno.test("closing a session (DELETE, or the SSE stream going away) ends its blocked listen", async () => {
  // A long lease: a message taken by a listen still blocked would stay hidden.
  await using mesh = await openTestMesh(embedded, { AGENT_MESH_LEASE_S: "120" });
  await using server = await startHttpServer(mesh.env);
  await using checker = await streamableAgent(server.base);
  for (const open of [streamableAgent, sseAgent]) {
    const agent = await open(server.base);
    const name = `closing-${agent.transport}`;
    const listening = agent.call("mesh_listen", { name, timeout_s: 60 });
    listening.catch(() => {});
    await untilListening(mesh.env, name, "mesh_listen"); // blocked in its read by now
    await agent[Symbol.asyncDispose](); // DELETE for Streamable HTTP; closes the stream for SSE
    await assert.rejects(listening);
    await untilNotListening(mesh.env, name); // the server's read ended, not only the client's call
    await checker.call("mesh_send", { to: name, message: "after close" });
    const got = await checker.call<{ message: { text: string } | null }>("mesh_listen", {
      name,
      timeout_s: 10,
    });
    assert.equal(got.message?.text, "after close", agent.transport);
  }
  const health = await (await fetch(`${server.base}/health`)).json();
  assert.deepEqual(health.sessions, { streamable: 1, sse: 0 });
});
