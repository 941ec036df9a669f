/**
 * Idle cost: the CPU a `monitor` uses while nothing happens (user + system time
 * from /proc over the window), its resident memory, and the resident memory of
 * `serve --http`, idle and with 100 Streamable HTTP sessions each blocked in
 * `mesh_listen`. Linux only (/proc).
 */
import { openListeningSessions } from "../tests/harness/mcp_load.ts";
import { freePort } from "../tests/harness/redis_server.ts";
import { cpuMs, MAIN, rssMb, spawnDeno } from "./procs.ts";
import { type BenchContext, pick, type Result, sleep } from "./stats.ts";

const ENGINES = ["embedded", "redis"] as const;

function one(
  figure: string,
  engine: Result["engine"],
  unit: string,
  value: number,
  goal: string,
  met: boolean,
  note?: string,
): Result {
  return { figure, engine, unit, median: value, p99: value, runs: 1, floor: null, goal, met, note };
}

/** A monitor per engine, both idle over the same window. */
export async function monitorFigures(ctx: BenchContext): Promise<Result[]> {
  const windowS = pick(ctx, 5, 30);
  const monitors = ENGINES.map((e) => spawnDeno([MAIN, "monitor", `idle-${e}`], ctx.envs[e]));
  try {
    await Promise.all(monitors.map((m) => m.waitFor(/^monitoring idle-/, 30_000)));
    await sleep(1_000); // past start-up work
    const before = monitors.map((m) => cpuMs(m.pid));
    await sleep(windowS * 1000);
    const used = monitors.map((m, i) => cpuMs(m.pid) - before[i]);
    const rss = monitors.map((m) => rssMb(m.pid));
    return ENGINES.flatMap((engine, i) => {
      const percent = (used[i] / (windowS * 1000)) * 100;
      return [
        one(
          `monitor idle CPU (${windowS} s window)`,
          engine,
          "% of one core",
          percent,
          "≤ 0.5 %",
          percent <= 0.5,
          `${used[i]} ms of CPU in ${windowS} s (/proc ticks of 10 ms)`,
        ),
        one("monitor RSS", engine, "MB", rss[i], "≤ 60 MB", rss[i] <= 60),
      ];
    });
  } finally {
    await Promise.all(monitors.map((m) => m.stop()));
  }
}

async function health(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/health`);
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** `serve --http` resident memory, idle and with 100 sessions blocked in mesh_listen. */
export async function serveFigures(
  ctx: BenchContext,
  engine: "embedded" | "redis",
): Promise<Result[]> {
  const sessions = pick(ctx, 20, 100);
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  await using server = spawnDeno([MAIN, "serve", "--http", "--port", String(port)], {
    ...ctx.envs[engine],
    AGENT_MESH_TOKEN: "",
  });
  for (let i = 0; !(await health(base)); i++) {
    if (i > 300) throw new Error(`serve --http did not answer: ${server.stderr().slice(-500)}`);
    await sleep(50);
  }
  await sleep(1_000);
  const idle = rssMb(server.pid);
  const open = await openListeningSessions(base, sessions, {
    prefix: `idle-${engine}-`,
    timeoutS: 120,
  });
  let loaded: number;
  try {
    await sleep(2_000); // every listen blocked
    loaded = rssMb(server.pid);
  } finally {
    await open.close();
  }
  return [
    one("serve --http RSS, idle", engine, "MB", idle, "≤ 90 MB", idle <= 90),
    one(
      `serve --http RSS, ${sessions} sessions in mesh_listen`,
      engine,
      "MB",
      loaded,
      sessions === 100 ? "≤ 150 MB" : "≤ 150 MB (at 100 sessions)",
      loaded <= 150,
    ),
  ];
}
