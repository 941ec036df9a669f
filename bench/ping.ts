/**
 * Ping round trip: a listener in a child process (as `listen`/`monitor` run),
 * the pinger here, timed in-process around Mesh.ping: inbox append, the
 * listener's wake-up, take, pong append, the pinger's wake-up.
 */
import { loadConfig } from "../lib/config.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import { openStore } from "../lib/store/open.ts";
import { AGENT, spawnDeno } from "./procs.ts";
import { type BenchContext, pick, type Result, sleep, summarize } from "./stats.ts";

async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.keys(env).map((k) => [k, Deno.env.get(k)] as const);
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
}

/** A Mesh on the engine `env` selects (the bench process itself has no AGENT_MESH_* set). */
export function openMesh(env: Record<string, string>): Promise<Mesh> {
  return withEnv(env, async () => {
    const config = loadConfig();
    return new Mesh(await openStore(config), config);
  });
}

/** Ping round trips on one engine. */
export async function pingFigure(
  ctx: BenchContext,
  engine: "embedded" | "redis",
): Promise<Result> {
  const n = pick(ctx, 40, 500);
  const env = ctx.envs[engine];
  await using listener = spawnDeno([AGENT, "listen", "pong-bot"], env);
  await listener.waitFor(/^ready$/);
  const mesh = await openMesh(env);
  const samples: number[] = [];
  try {
    for (let i = 0; i < 20 + n; i++) {
      // A short gap: the listener is back in its blocking read, as between real pings.
      await sleep(2);
      const t = performance.now();
      const r = await mesh.ping({ from: "bench", to: "pong-bot", timeoutMs: 5000 });
      const ms = performance.now() - t;
      if (!r.ok) throw new Error(`ping ${i} on ${engine} got no pong`);
      if (i >= 20) samples.push(ms);
    }
  } finally {
    await mesh.store.close();
  }
  const s = summarize(samples);
  const floor = ctx.floors.redisRoundTripMs;
  const limit = engine === "redis" ? Math.min(10 * floor, 1) : 5;
  return {
    figure: "ping round trip (two processes)",
    engine,
    unit: "ms",
    ...s,
    floor: { name: "redis PING round trip", unit: "ms", median: floor },
    goal: engine === "redis" ? "p50 ≤ 10 × floor and ≤ 1 ms" : "p50 ≤ 5 ms",
    met: s.median <= limit,
    note: engine === "redis"
      ? `${(s.median / floor).toFixed(1)} × the floor; ${
        (s.median / ctx.floors.redisPingPongMs).toFixed(2)
      } × the same exchange in bare Redis commands`
      : undefined,
  };
}
