/**
 * Scale: `who` with 10,000 registered agents. They are registered straight
 * through the store (SETs with the registry TTL, all in flight at once: pipelined
 * on Redis), then who() is timed in-process and `who --json` through the CLI.
 * Runs on a prefix of its own, so that other figures' agents do not count.
 */
import { who } from "../lib/mesh/presence.ts";
import { REGISTRY_TTL_S } from "../lib/mesh/presence.ts";
import { openMesh } from "./ping.ts";
import { MAIN, timeRun } from "./procs.ts";
import { type BenchContext, pick, type Result, summarize } from "./stats.ts";

const AGENTS = 10_000;

/** who() in-process and via the CLI, with 10,000 agents, on one engine. */
export async function whoFigures(
  ctx: BenchContext,
  engine: "embedded" | "redis",
): Promise<Result[]> {
  const runs = pick(ctx, 3, 15);
  const env = { ...ctx.envs[engine], AGENT_MESH_PREFIX: `who${engine}` };
  const mesh = await openMesh(env);
  const inProcess: number[] = [];
  const viaCli: number[] = [];
  try {
    const now = Date.now() / 1000;
    const sets: Promise<void>[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const name = `agent-${String(i).padStart(5, "0")}`;
      const info = { agent: name, role: "bench agent", pid: 1000 + i, ts: now };
      sets.push(mesh.store.set(mesh.keys.registry(name), JSON.stringify(info), REGISTRY_TTL_S));
    }
    await Promise.all(sets);
    for (let r = 0; r <= runs; r++) {
      const t = performance.now();
      const agents = await who(mesh);
      const ms = performance.now() - t;
      if (agents.length !== AGENTS) throw new Error(`who() found ${agents.length} agents`);
      if (r > 0) inProcess.push(ms); // run 0 warms up
    }
    for (let r = 0; r <= runs; r++) {
      const ms = await timeRun([MAIN, "who", "--json"], env);
      if (r > 0) viaCli.push(ms);
    }
  } finally {
    const keys = await mesh.store.scan(mesh.keys.registryPrefix);
    for (let i = 0; i < keys.length; i += 1000) await mesh.store.del(...keys.slice(i, i + 1000));
    await mesh.store.close();
  }
  const a = summarize(inProcess);
  const b = summarize(viaCli);
  const goal = engine === "redis" ? "≤ 200 ms" : "none set (reported)";
  const met = (s: { median: number }) => engine === "redis" ? s.median <= 200 : null;
  return [
    {
      figure: "who with 10,000 agents (in-process)",
      engine,
      unit: "ms",
      ...a,
      floor: null,
      goal,
      met: met(a),
    },
    {
      figure: "who --json with 10,000 agents (CLI wall time)",
      engine,
      unit: "ms",
      ...b,
      floor: Number.isFinite(ctx.floors.emptyScriptMs)
        ? { name: "empty deno run", unit: "ms", median: ctx.floors.emptyScriptMs }
        : null,
      goal,
      met: met(b),
      note: "includes the process start (see the floor)",
    },
  ];
}
