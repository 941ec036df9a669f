/**
 * Bounded push streams (issue 13, point 3): what one HTTP stream holds for a
 * client that reads nothing is bounded; past the bound the stream is dropped,
 * never the messages: a message counts as sent only once the connection took it.
 */
import assert from "node:assert/strict";
import { BoundedBody, QueueMeter } from "../mcp/http/bounded.ts";
import { startHttp } from "../mcp/http/serve.ts";
import { RAW_INITIALIZE } from "./harness/mcp_channel.ts";
import { openEnvMesh, unacknowledged } from "./harness/mcp_probe.ts";
import { type Rpc, toolCall } from "./harness/mcp_raw.ts";
import { openTestMesh, startHttpServer } from "./harness/mcp_server.ts";
import { engines } from "./harness/store_engines.ts";
import { eventually, withDeadline } from "./harness/timing.ts";

const embedded = engines().find((e) => e.name === "embedded")!;

const HEADERS = {
  accept: "application/json, text/event-stream",
  "content-type": "application/json",
  "mcp-protocol-version": "2025-11-25",
};

Deno.test("a bounded body drops itself past its bound, and says what it handed over", async () => {
  const meter = new QueueMeter();
  const ends: string[] = [];
  const body = new BoundedBody({ maxQueuedBytes: 1000, meter, onEnd: (how) => ends.push(how) });
  assert.equal(body.push(new Uint8Array(600)), true);
  assert.equal(meter.bytes, 600);
  const draining = body.drained();
  assert.equal(body.push(new Uint8Array(600)), false, "past the bound: dropped");
  assert.deepEqual(ends, ["overflow"]);
  assert.equal(meter.bytes, 0, "nothing held any more");
  assert.equal(await draining, false, "what was queued was not handed over");
  await assert.rejects(body.readable.getReader().read());

  // A reading consumer gets everything; one chunk over the bound alone is allowed.
  const read = new BoundedBody({ maxQueuedBytes: 10, onEnd: (how) => ends.push(how) });
  const reader = read.readable.getReader();
  assert.equal(read.push(new Uint8Array(50)), true);
  const drained = read.drained();
  assert.equal((await reader.read()).value?.length, 50);
  assert.equal(await drained, true);
  read.close();
  assert.equal((await reader.read()).done, true);
  assert.equal(await read.finished(), true);
  assert.deepEqual(ends, ["overflow", "done"]);
});

interface Health {
  queued_bytes: number;
  rss_bytes: number;
  sessions: { streamable: number; sse: number };
}

async function health(base: string): Promise<Health> {
  return await (await fetch(`${base}/health`)).json();
}

/** Polls /health until `test` holds; bounded. */
function healthUntil(base: string, test: (h: Health) => boolean, what: string) {
  return eventually(() => health(base), test, what, 30_000);
}

Deno.test("a client that stops reading its GET stream costs a bounded amount and takes nothing", async () => {
  await using mesh = await openTestMesh(embedded);
  await using server = await startHttpServer(mesh.env, [], ["--v8-flags=--expose-gc"]);
  // channels=1: the GET stream carries wake-ups (who wrote, how many), never a message.
  const url = `${server.base}/mcp?as=slow&channels=1`;
  const init = await fetch(url, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify(RAW_INITIALIZE),
  });
  await init.body?.cancel();
  const headers = { ...HEADERS, "mcp-session-id": init.headers.get("mcp-session-id")! };
  const note = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  });
  await note.body?.cancel();
  const stream = await fetch(url, { headers: { ...headers, accept: "text/event-stream" } });
  assert.equal(stream.status, 200);
  const before = await health(server.base);

  // 600 × 100 KiB = 60 MB for a client that reads nothing (the code that pushed the
  // messages themselves held it all: +196 MiB of RSS).
  const COUNT = 600;
  const text = "m".repeat(100 * 1024);
  const ids: string[] = [];
  {
    await using direct = await openEnvMesh(mesh.env);
    for (let i = 0; i < COUNT; i++) {
      ids.push((await direct.send({ from: "fast", to: "slow", text: `${i} ${text}` })).id);
    }
  }
  const after = await health(server.base);
  assert.ok(after.queued_bytes <= 4 * 1024 * 1024 + 256 * 1024, `${after.queued_bytes} queued`);
  const grown = (after.rss_bytes - before.rss_bytes) / 2 ** 20;
  assert.ok(grown < 64, `memory stays bounded: grew ${grown.toFixed(1)} MiB`);
  await stream.body?.cancel();

  // The pushes took nothing: every message still waits for slow's reader, once.
  const waiting = await unacknowledged(mesh.env, "slow");
  assert.deepEqual(waiting.map((m) => m.id), ids);
});

Deno.test("past the bound a legacy SSE stream is dropped, and a message queued on it is not lost", async () => {
  await using mesh = await openTestMesh(embedded);
  await using direct = await openEnvMesh(mesh.env);
  const log: string[] = [];
  const running = await startHttp(direct, {
    hostname: "127.0.0.1",
    port: 0,
    maxQueuedBytes: 8 * 1024 * 1024, // about five answers of mesh_history below
    log: (line) => log.push(line),
  });
  const base = `http://127.0.0.1:${running.port}`;
  let reader: ReadableStreamDefaultReader<string> | undefined;
  try {
    for (let i = 0; i < 4; i++) {
      await direct.send({ from: "fill", to: "big", text: `${i} ${"b".repeat(200 * 1024)}` });
    }
    await direct.send({ from: "ann", to: "precious", text: "do not lose me" });
    const sse = await fetch(`${base}/sse`, { headers: { accept: "text/event-stream" } });
    reader = sse.body!.pipeThrough(new TextDecoderStream()).getReader();
    let head = "";
    while (!/data: (\/messages\?sessionId=\S+)/.test(head)) {
      head += (await withDeadline(reader.read(), 10_000, "the endpoint event")).value ?? "";
    }
    // From here on the client reads nothing.
    const endpoint = `${base}${head.match(/data: (\/messages\?sessionId=\S+)/)![1]}`;
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
    assert.equal(await post({ jsonrpc: "2.0", method: "notifications/initialized" }), 202);
    const history = (id: number) => toolCall(id, "mesh_history", { name: "big", limit: 10 });
    let id = 10;
    // Answers pile up once the connection is full...
    for (; id < 200 && (await health(base)).queued_bytes === 0; id++) {
      assert.equal(await post(history(id)), 202);
    }
    // ...then a listen's answer waits behind them, and the stream goes past its bound.
    assert.equal(await post(toolCall(1, "mesh_listen", { name: "precious", timeout_s: 5 })), 202);
    let status = 202;
    for (; id < 400 && status === 202; id++) status = await post(history(id));
    assert.equal(status, 404, "the session ended with its stream");
    assert.ok(
      log.some((l) => /\(sse, no agent\): stream dropped, its client read nothing/.test(l)),
      log.join("\n"),
    );
    await healthUntil(base, (h) => h.queued_bytes === 0 && h.sessions.sse === 0, "nothing held");
    // The listen's message was in the dropped queue: it was not acknowledged.
    assert.deepEqual((await unacknowledged(mesh.env, "precious")).map((m) => m.text), [
      "do not lose me",
    ]);
  } finally {
    await reader?.cancel().catch(() => {});
    await running.close();
  }
});
