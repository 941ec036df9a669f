/**
 * The MCP server stays up and answers what it cannot handle (issue 13, point 10):
 * a bad stdio line gets -32700, a line over 10 MiB an error and the session goes
 * on, tools/call without params a one-line -32602, and a request reusing the id
 * of one still in flight is refused, over stdio, Streamable HTTP and legacy SSE,
 * without breaking which message is acknowledged.
 */
import assert from "node:assert/strict";
import { createServer } from "../mcp/server.ts";
import { InMemoryTransport } from "./harness/mcp_sdk.ts";
import { RAW_INITIALIZE } from "./harness/mcp_channel.ts";
import { openEnvMesh, unacknowledged } from "./harness/mcp_probe.ts";
import { RawStdio, type Rpc, toolCall } from "./harness/mcp_raw.ts";
import { openTestMesh, startHttpServer } from "./harness/mcp_server.ts";
import { engines } from "./harness/store_engines.ts";
import { withDeadline } from "./harness/timing.ts";

const embedded = engines().find((e) => e.name === "embedded")!;

Deno.test("serve over stdio answers bad lines and a line over 10 MiB, and keeps serving", async () => {
  await using mesh = await openTestMesh(embedded);
  await using raw = new RawStdio(mesh.env);
  await raw.initialize();

  await raw.write("{not json\n");
  const parse = await raw.until((m) => m.error?.code === -32700);
  assert.equal(parse.id, null);
  assert.match(parse.error.message, /^Parse error: line \d+ is not valid JSON$/);

  await raw.write('{"hello": "world"}\n');
  const notRpc = await raw.until((m) => m.error?.code === -32600 && m.id === null);
  assert.match(notRpc.error.message, /not a JSON-RPC 2\.0 message/);

  await raw.send({ jsonrpc: "2.0", id: 1, method: "tools/call" });
  await raw.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: {} });
  for (const id of [1, 2]) {
    const bad = await raw.until((m) => m.id === id);
    assert.equal(bad.error?.code, -32602, JSON.stringify(bad));
    assert.match(
      bad.error.message,
      /^Invalid params: tools\/call needs params with the tool "name"/,
    );
    assert.doesNotMatch(bad.error.message, /\n/);
  }

  // 11 MiB without a newline, in pieces, then the newline: answered, then skipped.
  const piece = new TextEncoder().encode("x".repeat(1024 * 1024));
  for (let i = 0; i < 11; i++) await raw.write(piece);
  await raw.write("\n");
  const huge = await raw.until((m) => /too large/.test(m.error?.message ?? ""));
  assert.equal(huge.id, null);
  assert.equal(huge.error.code, -32600);
  assert.match(huge.error.message, /over 10485760 bytes and was skipped/);
  await raw.stderrMatching(/agent-mesh serve: Request too large/);

  // Still serving, after every one of them.
  await raw.send(toolCall(3, "mesh_send", { to: "bob", message: "still here" }));
  const sent = await raw.until((m) => m.id === 3);
  assert.equal(sent.result?.structuredContent?.ok, true, JSON.stringify(sent));
  assert.equal(await raw.close(), 0);
});

Deno.test("serve over stdio refuses a request whose id is still in flight", async () => {
  await using mesh = await openTestMesh(embedded);
  {
    await using direct = await openEnvMesh(mesh.env);
    await direct.send({ from: "ann", to: "dup", text: "one" });
  }
  await using raw = new RawStdio(mesh.env);
  await raw.initialize();
  // Both lines in one write: the second arrives while the first waits.
  await raw.send(
    toolCall(7, "mesh_listen", { name: "nobody-here", timeout_s: 2 }),
    toolCall(7, "mesh_listen", { name: "dup", timeout_s: 5 }),
  );
  const refused = await raw.until((m) => m.id === 7 && m.error);
  assert.equal(refused.error.code, -32600);
  assert.match(
    refused.error.message,
    /^Invalid Request: id 7 is already used by a request still in progress$/,
  );
  // The refused call took nothing: "one" is still there for the next listen.
  await raw.send(toolCall(8, "mesh_listen", { name: "dup", timeout_s: 5 }));
  const next = await raw.until((m) => m.id === 8);
  assert.equal(next.result?.structuredContent?.message?.text, "one");
  const first = await raw.until((m) => m.id === 7 && m.result);
  assert.equal(first.result.structuredContent.message, null);
  assert.equal(raw.messages.filter((m) => m.id === 7).length, 2);
});

for (const engine of engines()) {
  Deno.test({
    name:
      `two calls with one id: the second is refused and the first's message is the one acknowledged (${engine.name})`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using mesh = await openTestMesh(engine);
      await using direct = await openEnvMesh(mesh.env);
      const one = await direct.send({ from: "ann", to: "dup", text: "one" });
      const two = await direct.send({ from: "ann", to: "dup", text: "two" });
      // Watch the real store's acknowledgements: the test waits for them, not for a lease.
      let acks = 0;
      let acked = Promise.withResolvers<void>();
      const ack = direct.store.ack.bind(direct.store);
      direct.store.ack = async (...args) => {
        await ack(...args);
        acks++;
        acked.resolve();
      };
      const server = createServer({ mesh: direct });
      const [client, serverSide] = InMemoryTransport.createLinkedPair();
      const got: Rpc[] = [];
      let arrived = Promise.withResolvers<void>();
      client.onmessage = (m) => {
        got.push(m as Rpc);
        arrived.resolve();
        arrived = Promise.withResolvers<void>();
      };
      await server.connect(serverSide);
      await client.start();
      const until = async (test: (m: Rpc) => boolean) => {
        for (let i = 0; i < 100 && !got.some(test); i++) {
          await withDeadline(arrived.promise, 10_000, "a response");
        }
        return got.find(test)!;
      };
      try {
        await client.send(RAW_INITIALIZE as never);
        await until((m) => m.id === 1);
        await client.send({ jsonrpc: "2.0", method: "notifications/initialized" } as never);
        const call = toolCall(7, "mesh_listen", { name: "dup", timeout_s: 5 });
        await client.send(call as never);
        await client.send(call as never);
        await until((m) => m.id === 7 && m.error);
        const answer = await until((m) => m.id === 7 && m.result);
        assert.equal(got.filter((m) => m.id === 7).length, 2);
        assert.equal(answer.result.structuredContent.message.id, one.id);
        while (acks === 0) await withDeadline(acked.promise, 10_000, "the acknowledgement");
        acked = Promise.withResolvers<void>();
        // "one" was acknowledged, "two" never taken: it alone is left for the next listener.
        assert.deepEqual((await unacknowledged(mesh.env, "dup")).map((m) => m.id), [two.id]);
      } finally {
        await client.close();
        await server.cleanup();
      }
    },
  });
}

const HEADERS = {
  accept: "application/json, text/event-stream",
  "content-type": "application/json",
  "mcp-protocol-version": "2025-11-25",
};

/** Reads SSE `data:` messages from `reader` until one matches; bounded. */
async function nextEvent(
  reader: ReadableStreamDefaultReader<string>,
  buffer: { text: string },
  test: (m: Rpc) => boolean,
): Promise<Rpc> {
  const deadline = Date.now() + 20_000; // in all: keep-alive comments come every 15 s
  for (;;) {
    for (const m of buffer.text.matchAll(/^data: (\{.*\})$/gm)) {
      const msg = JSON.parse(m[1]);
      if (test(msg)) return msg;
    }
    const left = deadline - Date.now();
    const { value, done } = left > 0
      ? await withDeadline(reader.read(), left, `a matching SSE event in ${buffer.text}`)
      : { value: "", done: true };
    if (done) throw new Error(`no matching event in: ${buffer.text}`);
    buffer.text += value;
  }
}

Deno.test("Streamable HTTP refuses a reused id in flight (409) and tools/call without params (-32602)", async () => {
  await using mesh = await openTestMesh(embedded);
  await using server = await startHttpServer(mesh.env);
  const url = `${server.base}/mcp`;
  const init = await fetch(url, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify(RAW_INITIALIZE),
  });
  await init.body?.cancel();
  const session = init.headers.get("mcp-session-id")!;
  const headers = { ...HEADERS, "mcp-session-id": session };
  const note = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  });
  await note.body?.cancel();

  const listen = JSON.stringify(toolCall(7, "mesh_listen", { name: "dup", timeout_s: 20 }));
  const first = await fetch(url, { method: "POST", headers, body: listen });
  assert.equal(first.status, 200);
  const reader = first.body!.pipeThrough(new TextDecoderStream()).getReader();
  const again = await fetch(url, { method: "POST", headers, body: listen });
  assert.equal(again.status, 409);
  const refused = await again.json();
  assert.deepEqual(refused.id, 7);
  assert.equal(refused.error.code, -32600);

  const noParams = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", id: 8, method: "tools/call" }),
  });
  const noParamsReader = noParams.body!.pipeThrough(new TextDecoderStream()).getReader();
  const bad = await nextEvent(noParamsReader, { text: "" }, (m) => m.id === 8);
  assert.equal(bad.error.code, -32602);
  assert.doesNotMatch(bad.error.message, /\n/);

  {
    await using direct = await openEnvMesh(mesh.env);
    await direct.send({ from: "ann", to: "dup", text: "for the first" });
  }
  const answer = await nextEvent(reader, { text: "" }, (m) => m.id === 7);
  assert.equal(answer.result.structuredContent.message.text, "for the first");
  await reader.cancel();
});

Deno.test("legacy SSE refuses a reused id in flight with a JSON-RPC error on the stream", async () => {
  await using mesh = await openTestMesh(embedded);
  await using server = await startHttpServer(mesh.env);
  const sse = await fetch(`${server.base}/sse`, { headers: { accept: "text/event-stream" } });
  const reader = sse.body!.pipeThrough(new TextDecoderStream()).getReader();
  const buffer = { text: "" };
  while (!/data: (\/messages\?sessionId=\S+)/.test(buffer.text)) {
    buffer.text += (await withDeadline(reader.read(), 10_000, "the endpoint event")).value ?? "";
  }
  const endpoint = `${server.base}${buffer.text.match(/data: (\/messages\?sessionId=\S+)/)![1]}`;
  const post = async (body: Rpc) => {
    const res = await fetch(endpoint, {
      method: "POST",
      headers: HEADERS,
      body: JSON.stringify(body),
    });
    await res.body?.cancel();
    return res.status;
  };
  assert.equal(await post(RAW_INITIALIZE), 202);
  await nextEvent(reader, buffer, (m) => m.id === 1);
  assert.equal(await post({ jsonrpc: "2.0", method: "notifications/initialized" }), 202);
  const listen = toolCall(7, "mesh_listen", { name: "dup", timeout_s: 20 });
  assert.equal(await post(listen), 202);
  assert.equal(await post(listen), 202);
  const refused = await nextEvent(reader, buffer, (m) => m.id === 7 && m.error);
  assert.equal(refused.error.code, -32600);
  assert.equal(await post({ jsonrpc: "2.0", id: 9, method: "tools/call" }), 202);
  const bad = await nextEvent(reader, buffer, (m) => m.id === 9);
  assert.equal(bad.error.code, -32602);
  {
    await using direct = await openEnvMesh(mesh.env);
    await direct.send({ from: "ann", to: "dup", text: "for the first" });
  }
  const answer = await nextEvent(reader, buffer, (m) => m.id === 7 && m.result);
  assert.equal(answer.result.structuredContent.message.text, "for the first");
  await reader.cancel();
});
