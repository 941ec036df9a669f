/**
 * In-process checks of the MCP server (createServer + the SDK's in-memory
 * transport): a listen acknowledges its message only once the response reached
 * the client (the README's promise: a transport whose send fails or never
 * completes leaves the message to be given out again), and waits are clamped.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import { openStore } from "../lib/store/open.ts";
import type { SessionContext } from "../mcp/context.ts";
import { createServer } from "../mcp/server.ts";
import { type ToolExtra, waiting } from "../mcp/wait.ts";
import { Client, InMemoryTransport } from "./harness/mcp_sdk.ts";
import { openTestMesh } from "./harness/mcp_server.ts";
import { type EngineCase, engines } from "./harness/store_engines.ts";
import { openEnvMesh, unacknowledged } from "./harness/mcp_probe.ts";
import { eventually, withDeadline } from "./harness/timing.ts";

async function openMesh(
  engine: EngineCase,
  leaseS: number,
): Promise<Mesh & AsyncDisposable & { env: Record<string, string> }> {
  const test = await openTestMesh(engine, { AGENT_MESH_LEASE_S: String(leaseS) });
  const config = loadConfig((name) => test.env[name]);
  const mesh = new Mesh(await openStore(config), config);
  return Object.assign(mesh, {
    env: test.env,
    async [Symbol.asyncDispose]() {
      await mesh.store.close();
      await test[Symbol.asyncDispose]();
    },
  });
}

/** A client connected to a new session; `lose` drops responses that carry a message. */
async function session(mesh: Mesh, lose = false) {
  const server = createServer({ mesh });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  if (lose) {
    const send = serverSide.send.bind(serverSide);
    serverSide.send = (message, options) => {
      if ("result" in message && JSON.stringify(message.result).includes('"message":{')) {
        return Promise.reject(new Error("client gone"));
      }
      return send(message, options);
    };
  }
  await server.connect(serverSide);
  const client = new Client({ name: "test", version: "0" });
  await client.connect(clientSide);
  return {
    listen: async (name: string, timeoutS: number, requestTimeoutMs?: number) => {
      const result = await client.callTool(
        { name: "mesh_listen", arguments: { name, timeout_s: timeoutS } },
        undefined,
        { timeout: requestTimeoutMs },
      );
      return (result.structuredContent as { message: { id: string; text: string } | null })
        .message;
    },
    async [Symbol.asyncDispose]() {
      await client.close();
      await server.cleanup();
    },
  };
}

for (const engine of engines()) {
  Deno.test({
    name:
      `a listen whose response never reaches the client leaves the message in the inbox (${engine.name})`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using mesh = await openMesh(engine, 0.3);
      const sent = await mesh.send({ from: "ann", to: "hank", text: "keep me" });
      {
        await using lossy = await session(mesh, true);
        await assert.rejects(lossy.listen("hank", 5, 1000)); // the response was dropped
      }
      // A blocked listen gets it back as soon as the lease of the unacknowledged take ran out.
      await using good = await session(mesh);
      const again = await good.listen("hank", 5);
      assert.equal(again?.id, sent.id);
      assert.equal(again?.text, "keep me");
      // Acknowledged this time, once the response was written:
      await eventually(() => unacknowledged(mesh.env, "hank"), (l) => l.length === 0, "acked");
      // so a listen that waits over three leases gets nothing back.
      assert.equal(await good.listen("hank", 1), null);
    },
  });
}

Deno.test("waiting() clamps the wait and reports progress only with a token", async () => {
  const controller = new AbortController();
  const session = { signal: controller.signal } as SessionContext;
  const notes: unknown[] = [];
  const extra = (token?: string) =>
    ({
      signal: new AbortController().signal,
      _meta: token ? { progressToken: token } : {},
      sendNotification: (n: unknown) => {
        notes.push(n);
        return Promise.resolve();
      },
    }) as unknown as ToolExtra;
  const got = await waiting(
    session,
    extra(),
    { timeoutS: 1e9, maxS: 0.05, what: "x" },
    (w) => Promise.resolve(w.timeoutMs),
  );
  assert.equal(got, 50);
  assert.equal(notes.length, 0);
  await waiting(session, extra("t1"), { timeoutS: 3, maxS: 600, what: "waiting" }, (w) => {
    assert.equal(w.timeoutMs, 3000);
    controller.abort();
    assert.equal(w.signal.aborted, true, "the session's end aborts the call");
    return Promise.resolve();
  });
  assert.deepEqual(notes, [{
    method: "notifications/progress",
    params: { progressToken: "t1", progress: 0, total: 3, message: "waiting" },
  }]);
});

for (const engine of engines()) {
  for (const fault of ["fails", "never completes"] as const) {
    Deno.test({
      name:
        `mesh_listen acknowledges only once its response was handed over: a send that ${fault} gives the message out again (${engine.name})`,
      ignore: engine.ignore,
      ...engine.testOptions,
      async fn() {
        await using test = await openTestMesh(engine);
        await using mesh = await openEnvMesh(test.env);
        const sent = await mesh.send({ from: "ann", to: "ivy", text: "hand me over" });
        const server = createServer({ mesh });
        const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
        const attempted = Promise.withResolvers<void>();
        const send = serverSide.send.bind(serverSide);
        // The transport under the server: the response carrying the message never arrives.
        serverSide.send = (message, options) => {
          if ("result" in message && JSON.stringify(message.result).includes(sent.id)) {
            attempted.resolve();
            return fault === "fails"
              ? Promise.reject(new Error("connection reset"))
              : new Promise<void>(() => {});
          }
          return send(message, options);
        };
        await server.connect(serverSide);
        const client = new Client({ name: "test", version: "0" });
        await client.connect(clientSide);
        try {
          const cancel = new AbortController();
          const listening = client.callTool(
            { name: "mesh_listen", arguments: { name: "ivy", timeout_s: 5 } },
            undefined,
            { signal: cancel.signal },
          );
          await withDeadline(attempted.promise, 10_000, "the response to be sent");
          cancel.abort(); // the client gives up on the call
          await assert.rejects(listening);
        } finally {
          await client.close();
          await server.cleanup();
        }
        // Not acknowledged: the next listener is given it.
        assert.deepEqual((await unacknowledged(test.env, "ivy")).map((m) => m.id), [sent.id]);
      },
    });
  }
}
