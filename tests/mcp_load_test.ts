/**
 * One HTTP server holds 100 sessions, each blocked in mesh_listen, on both
 * engines; memory is reported (and only sanity-checked) through /health.
 */
import assert from "node:assert/strict";
import { engines } from "./harness/store_engines.ts";
import { openTestMesh, runCli, startHttpServer } from "./harness/mcp_server.ts";
import { openListeningSessions } from "./harness/mcp_load.ts";
import { untilListening } from "./harness/listening.ts";
import { eventually } from "./harness/timing.ts";

const SESSIONS = 100;

interface Health {
  ok: boolean;
  engine: string;
  sessions: { streamable: number; sse: number };
  rss_bytes: number;
  heap_used_bytes: number;
}

async function health(base: string): Promise<Health> {
  return await (await fetch(`${base}/health`)).json();
}

for (const engine of engines()) {
  Deno.test({
    name: `one server holds ${SESSIONS} sessions blocked in mesh_listen (${engine.name})`,
    ignore: engine.ignore,
    ...engine.testOptions,
    async fn() {
      await using mesh = await openTestMesh(engine);
      // --expose-gc: /health then collects garbage first, so the numbers are stable.
      await using server = await startHttpServer(mesh.env, [], ["--v8-flags=--expose-gc"]);
      // Warm up (first session, first listen), then measure.
      const warm = await openListeningSessions(server.base, 1, { prefix: "warm-" });
      await untilListening(mesh.env, "warm-0", "mesh_listen");
      const before = await health(server.base);
      await using idle = await openListeningSessions(server.base, SESSIONS);
      const names = Array.from({ length: SESSIONS }, (_, i) => `idle-${i}`);
      await untilListening(mesh.env, names, "mesh_listen"); // every listen reached its read
      const after = await health(server.base);
      assert.equal(after.sessions.streamable, SESSIONS + 1);
      const perSession = (after.rss_bytes - before.rss_bytes) / SESSIONS;
      const heapPerSession = (after.heap_used_bytes - before.heap_used_bytes) / SESSIONS;
      const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
      console.error(
        `[${engine.name}] RSS ${mib(before.rss_bytes)} with 1 session, ` +
          `${mib(after.rss_bytes)} with ${SESSIONS + 1}: ` +
          `${(perSession / 1024).toFixed(0)} KiB RSS, ` +
          `${(heapPerSession / 1024).toFixed(0)} KiB JS heap per idle session`,
      );
      assert.ok(perSession < 2 * 2 ** 20, "well under 2 MiB per idle session");

      // Every listener is live: a message to one of them arrives.
      const sent = await runCli(mesh.env, ["send", "idle-42", "wake up", "--from", "load"]);
      assert.equal(sent.code, 0, sent.stderr);
      const woken = await idle.listens[42] as { message: { text: string } | null };
      assert.equal(woken.message?.text, "wake up");

      await idle.close();
      await warm.close();
      // Sessions end in the background of the DELETE.
      await eventually(() => health(server.base), (h) => h.sessions.streamable === 0, "no session");
      assert.equal(await server.stop(), 0, server.stderr());
    },
  });
}
