/**
 * CLI process wall times, spawn to exit, of `deno run -A main.ts ...` (the code
 * `deno compile` ships), against the floor: `deno run` of an empty script. The
 * commands and the floor run interleaved, round after round, so that a busy
 * moment of the machine weighs on all of them alike.
 */
import { EMPTY, MAIN, timeRun } from "./procs.ts";
import { type BenchContext, type FloorRef, pick, type Result, summarize } from "./stats.ts";

interface Case {
  figure: string;
  engine: Result["engine"];
  args: string[];
  env: Record<string, string>;
  /** Allowed ms above the floor. */
  over: number;
  goal: string;
}

/** Runs the CLI figures; sets ctx.floors.emptyScriptMs. */
export async function cliFigures(ctx: BenchContext): Promise<Result[]> {
  const rounds = pick(ctx, 5, 25);
  const cases: Case[] = [
    {
      figure: "CLI --version",
      engine: "none",
      args: [MAIN, "--version"],
      env: {},
      over: 20,
      goal: "≤ floor + 20 ms",
    },
    {
      figure: "CLI send",
      engine: "embedded",
      args: [MAIN, "send", "bob", "hello from the bench", "--from", "bench"],
      env: ctx.envs.embedded,
      over: 50,
      goal: "≤ floor + 50 ms",
    },
    {
      figure: "CLI send",
      engine: "redis",
      args: [MAIN, "send", "bob", "hello from the bench", "--from", "bench"],
      env: ctx.envs.redis,
      over: 150,
      goal: "≤ floor + 150 ms",
    },
  ];
  // Warm-up: Deno's module cache, the SQLite file, the Redis keys.
  await timeRun([EMPTY], {});
  for (const c of cases) await timeRun(c.args, c.env);
  const empty: number[] = [];
  const samples = cases.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    empty.push(await timeRun([EMPTY], {}));
    for (const [i, c] of cases.entries()) samples[i].push(await timeRun(c.args, c.env));
  }
  const floor = summarize(empty);
  ctx.floors.emptyScriptMs = floor.median;
  const ref: FloorRef = { name: "empty deno run", unit: "ms", median: floor.median };
  ctx.log(`CLI: empty script ${floor.median.toFixed(1)} ms`);
  return [
    {
      figure: "floor: empty `deno run` script",
      engine: "none",
      unit: "ms",
      ...floor,
      floor: null,
      goal: "the floor",
      met: null,
    },
    ...cases.map((c, i): Result => {
      const s = summarize(samples[i]);
      return {
        figure: c.figure,
        engine: c.engine,
        unit: "ms",
        ...s,
        floor: ref,
        goal: c.goal,
        met: s.median <= floor.median + c.over,
        note: `${(s.median - floor.median).toFixed(1)} ms above the floor`,
      };
    }),
  ];
}
