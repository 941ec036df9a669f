/**
 * `deno task bench`: every figure of BENCHMARKS.md on both engines, against a
 * throwaway redis-server and SQLite file of its own, with the floors measured in
 * the same run. Prints a Markdown table and writes results.json.
 *
 *   deno run -A bench/run.ts [--quick] [--out PATH] [--only GROUP,...] [--listeners N]
 *
 * --quick runs each figure briefly (for the test that keeps this harness alive);
 * --out writes the results elsewhere than bench/results.json; --only runs some
 * groups: cli, ping, send, parallel, broadcast, who, monitor, serve, claude,
 * fanout, original (the Redis floor always runs; claude only where the Claude
 * Code client is installed; the original's side of fanout, and original, only
 * where the original Python tool is: see original.ts); --listeners sets the
 * fan-out's listener processes (200 by default, 10 with --quick).
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startRedis } from "../tests/harness/redis_server.ts";
import { broadcastFigure } from "./broadcast.ts";
import { claudeFigures } from "./claude.ts";
import { cliFigures } from "./cli.ts";
import { cliVsOriginal } from "./cli_calls.ts";
import { fanoutFigures } from "./fanout.ts";
import { redisFloor, redisPingPongFloor } from "./floors.ts";
import { monitorFigures, serveFigures } from "./idle.ts";
import { findOriginal } from "./original.ts";
import { handleInterrupts } from "./procs.ts";
import { pingFigure } from "./ping.ts";
import { sendFigures, sendParallelFigure } from "./send.ts";
import { type BenchContext, fmt, type Result } from "./stats.ts";
import { whoFigures } from "./who.ts";

const ENGINES = ["embedded", "redis"] as const;

/** The figure groups, in the order they run. */
const GROUPS: [string, (ctx: BenchContext) => Promise<Result[]>][] = [
  ["cli", cliFigures],
  ["ping", async (ctx) => [await redisPingPongFloor(ctx), ...await each(ctx, pingFigure)]],
  ["send", sendFigures],
  ["parallel", (ctx) => each(ctx, sendParallelFigure)],
  ["broadcast", (ctx) => each(ctx, broadcastFigure)],
  ["who", (ctx) => eachMany(ctx, whoFigures)],
  ["monitor", monitorFigures],
  ["serve", (ctx) => eachMany(ctx, serveFigures)],
  ["claude", claudeFigures],
  ["fanout", fanoutFigures],
  ["original", cliVsOriginal],
];

async function each(
  ctx: BenchContext,
  fn: (ctx: BenchContext, engine: "embedded" | "redis") => Promise<Result>,
): Promise<Result[]> {
  const out: Result[] = [];
  for (const e of ENGINES) out.push(await fn(ctx, e));
  return out;
}

async function eachMany(
  ctx: BenchContext,
  fn: (ctx: BenchContext, engine: "embedded" | "redis") => Promise<Result[]>,
): Promise<Result[]> {
  const out: Result[] = [];
  for (const e of ENGINES) out.push(...await fn(ctx, e));
  return out;
}

function text(cmd: string, args: string[]): string {
  try {
    const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).outputSync();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "unknown";
  }
}

/** The machine the numbers come from. */
function machine(): Record<string, string | number> {
  let cpu = "unknown";
  try {
    cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpu;
  } catch { /* not Linux */ }
  return {
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    cpu,
    cores: navigator.hardwareConcurrency,
    memory_gb: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    redis: text("redis-server", ["--version"]).match(/v=(\S+)/)?.[1] ?? "unknown",
  };
}

/** The results as a Markdown table. */
export function table(results: Result[]): string {
  const rows = [
    "| Figure | Engine | Median | p99 | Runs | Unit | Floor (median) | Goal | Met |",
    "| --- | --- | ---: | ---: | ---: | --- | --- | --- | --- |",
  ];
  for (const r of results) {
    const floor = r.floor ? `${r.floor.name}: ${fmt(r.floor.median)} ${r.floor.unit}` : "";
    const met = r.met === null ? "" : r.met ? "yes" : "**NO**";
    const note = r.note ? ` (${r.note})` : "";
    rows.push(
      `| ${r.figure}${note} | ${r.engine} | ${fmt(r.median)} | ${
        fmt(r.p99)
      } | ${r.runs} | ${r.unit} | ${floor} | ${r.goal} | ${met} |`,
    );
  }
  return rows.join("\n");
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean" },
      out: { type: "string" },
      only: { type: "string" },
      listeners: { type: "string" },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const out = values.out ?? fileURLToPath(new URL("./results.json", import.meta.url));
  const only = values.only ? new Set(values.only.split(",")) : null;
  const listeners = values.listeners === undefined ? undefined : Number(values.listeners);
  if (listeners !== undefined && !(Number.isInteger(listeners) && listeners > 0)) {
    console.error(`bench: --listeners must be a whole number above 0: "${values.listeners}"`);
    return 2;
  }
  const started = performance.now();
  const log = (line: string) =>
    console.error(`[bench ${((performance.now() - started) / 1000).toFixed(0)}s] ${line}`);

  await using redis = await startRedis(quick ? 300 : 900);
  const dir = await Deno.makeTempDir({ prefix: "agent-mesh-bench-" });
  // Ctrl-C: the processes of the run stop with it, the redis-server and temp folder too.
  handleInterrupts(async () => {
    await redis.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  });
  // Sends go to targets that never listen, more than AGENT_MESH_MAX_UNREAD's default of them.
  const common = {
    AGENT_MESH_PREFIX: "bench",
    AGENT_MESH_GATE_ENFORCE: "0",
    AGENT_MESH_TOKEN: "",
    AGENT_MESH_MAX_UNREAD: "1000000",
  };
  const ctx: BenchContext = {
    quick,
    redisUrl: redis.url,
    dir,
    envs: {
      embedded: {
        ...common,
        AGENT_MESH_REDIS_URL: "",
        AGENT_MESH_DB: join(dir, "mesh.db"),
        AGENT_MESH_HOME: join(dir, "home-embedded"),
      },
      redis: {
        ...common,
        AGENT_MESH_REDIS_URL: redis.url,
        AGENT_MESH_HOME: join(dir, "home-redis"),
      },
    },
    floors: { redisRoundTripMs: NaN, emptyScriptMs: NaN, redisPingPongMs: NaN },
    listeners,
    original: findOriginal(dir),
    verdicts: [],
    skipped: [],
    log,
  };
  const results: Result[] = [];
  const failures: string[] = [];
  try {
    log("floor: Redis PING");
    results.push(...await redisFloor(ctx));
    for (const [name, run] of GROUPS) {
      if (only && !only.has(name)) continue;
      log(name);
      try {
        results.push(...await run(ctx));
      } catch (err) {
        failures.push(`${name}: ${(err as Error).stack ?? err}`);
        log(`${name} FAILED: ${(err as Error).message}`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  const doc = {
    date: new Date().toISOString(),
    quick,
    seconds: Math.round((performance.now() - started) / 1000),
    machine: machine(),
    floors: {
      redis_round_trip_ms: ctx.floors.redisRoundTripMs,
      empty_script_ms: ctx.floors.emptyScriptMs,
      redis_ping_exchange_ms: ctx.floors.redisPingPongMs,
      sqlite_send_per_s: ctx.floors.sqliteSendPerS ?? null,
    },
    original: ctx.original.tool
      ? { installed: true, src: ctx.original.tool.found }
      : { installed: false, why: ctx.original.missing },
    results,
    verdicts: ctx.verdicts,
    skipped: ctx.skipped,
    failures,
  };
  await Deno.writeTextFile(out, JSON.stringify(doc, null, 2) + "\n");
  console.log(table(results));
  console.log(`\n${results.length} figures in ${doc.seconds} s; written to ${out}`);
  const unmet = results.filter((r) => r.met === false);
  if (unmet.length) {
    console.log(`goals not met: ${unmet.map((r) => `${r.figure} (${r.engine})`).join("; ")}`);
  }
  if (ctx.verdicts.length) {
    const missed = ctx.verdicts.filter((v) => !v.met).length;
    console.log(
      `\nGoals against the original (same run): ${missed} of ${ctx.verdicts.length} missed`,
    );
    for (const v of ctx.verdicts) console.log(`- ${v.line}`);
  }
  for (const s of ctx.skipped) console.log(s);
  for (const f of failures) console.error(`FAILED ${f}`);
  return failures.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
