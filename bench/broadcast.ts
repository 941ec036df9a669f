/**
 * Broadcast fan-out: 50 agents listening as `listen`/`monitor` do (each with its
 * own consumer group), in 5 child processes of 10 agents sharing a store — the
 * shape of `serve --http` holding many sessions, spread over processes. Per
 * round: the time from just before Mesh.broadcast until the last of the 50 has
 * the message, by the wall clock each process reads.
 */
import { AGENT, type Child, spawnDeno } from "./procs.ts";
import { openMesh } from "./ping.ts";
import { type BenchContext, pick, type Result, sleep, summarize, wallNow } from "./stats.ts";

const AGENTS = 50;
const PROCESSES = 5;

/** Waits until `n` lines of `children` carry `text`; returns their `seen` times. */
async function arrivals(children: Child[], text: string, n: number, ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const seen: number[] = [];
    for (const c of children) {
      for (const line of c.lines) {
        if (!line.startsWith("{") || !line.includes(text)) continue;
        const m = JSON.parse(line) as { text: string; seen: number };
        if (m.text === text) seen.push(m.seen);
      }
    }
    if (seen.length >= n) return seen;
    if (Date.now() > deadline) {
      throw new Error(`only ${seen.length} of ${n} agents got "${text}" within ${ms} ms`);
    }
    await sleep(5);
  }
}

/** Time until the last of 50 listening agents has a broadcast. */
export async function broadcastFigure(
  ctx: BenchContext,
  engine: "embedded" | "redis",
): Promise<Result> {
  const rounds = pick(ctx, 5, 200);
  const env = ctx.envs[engine];
  const per = AGENTS / PROCESSES;
  const children = Array.from({ length: PROCESSES }, (_, p) =>
    spawnDeno([
      AGENT,
      "listen",
      Array.from({ length: per }, (_, i) => `fan-${p * per + i}`).join(","),
    ], env));
  const samples: number[] = [];
  const mesh = await openMesh(env);
  try {
    for (const c of children) await c.waitFor(/^ready$/, 60_000);
    await sleep(500); // every agent blocked in its read
    for (let r = 0; r < 3 + rounds; r++) {
      const text = `round ${r} ${crypto.randomUUID()}`;
      const sent = wallNow();
      await mesh.broadcast({ from: "announcer", text });
      const seen = await arrivals(children, text, AGENTS, 10_000);
      if (r >= 3) samples.push(Math.max(...seen) - sent);
      for (const c of children) c.lines.length = c.times.length = 0;
      await sleep(30); // back in their blocking reads
    }
  } finally {
    await mesh.store.close();
    await Promise.all(children.map((c) => c.stop()));
  }
  const s = summarize(samples);
  const limit = engine === "redis" ? 20 : 50;
  return {
    figure: "broadcast to 50 listening agents (until the last has it)",
    engine,
    unit: "ms",
    ...s,
    floor: null,
    goal: `p99 ≤ ${limit} ms`,
    met: s.p99 <= limit,
    note: `${AGENTS} agents in ${PROCESSES} processes, one store each`,
  };
}
