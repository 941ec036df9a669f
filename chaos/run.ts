/**
 * `deno task chaos`: kills, freezes, load and fuzzing against both engines, each
 * scenario bounded in time and load, every random choice drawn from one seed.
 * Prints progress on stderr and a Markdown table at the end, and writes the
 * table to RELIABILITY.md (not with --quick, --only or --out -).
 *
 *   deno run -A chaos/run.ts [--quick] [--seed N] [--only SCENARIO,...] [--out PATH|-]
 *
 * Scenarios: listeners, serve, redis, slow, fuzz-cli, fuzz-mcp. The Redis half
 * is skipped loudly where redis-server is missing (unless AGENT_MESH_REQUIRE_REDIS=1).
 * Exits 1 when anything was lost, shown twice unexplained, or a check failed.
 * CHAOS_DEBUG=1 logs every fuzz case and every MCP listen of the serve scenario.
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { redisMissing, redisRequired } from "../tests/harness/redis_server.ts";
import { type ChaosContext, engineFactory, type EngineName, type Row, row } from "./common.ts";
import { fuzzCliScenario } from "./fuzz_cli.ts";
import { fuzzMcpScenario } from "./fuzz_mcp.ts";
import { listenersScenario } from "./listeners.ts";
import { type AofRedis, startAofRedis } from "./redis_aof.ts";
import { redisScenario } from "./redis_kill.ts";
import { serveScenario } from "./serve_kill.ts";
import { slowScenario } from "./slow_consumer.ts";
import { reliabilityDoc, table } from "./report.ts";

type Scenario = (ctx: ChaosContext, engine: EngineName) => Promise<Row>;

/** The scenarios in the order they run, and the engines each applies to. */
const SCENARIOS: [string, Scenario, EngineName[]][] = [
  ["listeners", listenersScenario, ["embedded", "redis"]],
  ["serve", serveScenario, ["embedded", "redis"]],
  ["redis", redisScenario, ["redis"]],
  ["slow", slowScenario, ["embedded", "redis"]],
  ["fuzz-cli", fuzzCliScenario, ["embedded", "redis"]],
  ["fuzz-mcp", fuzzMcpScenario, ["embedded", "redis"]],
];

/** Whether any row breaks the rule: nothing lost, nothing shown twice unexplained, no failure. */
export function clean(rows: Row[]): boolean {
  return rows.every((r) => r.lost === 0 && r.twiceUnexplained === 0 && r.failed === 0);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean" },
      seed: { type: "string" },
      only: { type: "string" },
      out: { type: "string" },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const seed = values.seed === undefined ? 13 : Number(values.seed);
  if (!Number.isSafeInteger(seed)) {
    console.error(`chaos: Invalid --seed "${values.seed}": expected an integer`);
    return 2;
  }
  const names = SCENARIOS.map(([n]) => n);
  const only = values.only ? values.only.split(",") : null;
  const unknown = only?.filter((n) => !names.includes(n)) ?? [];
  if (unknown.length) {
    console.error(`chaos: Unknown scenario "${unknown[0]}": expected one of ${names.join(", ")}`);
    return 2;
  }
  // RELIABILITY.md holds the latest full run only.
  const out = values.out ??
    (quick || only ? "-" : fileURLToPath(new URL("../RELIABILITY.md", import.meta.url)));
  const started = performance.now();
  const log = (line: string) =>
    console.error(`[chaos ${((performance.now() - started) / 1000).toFixed(0)}s] ${line}`);

  const missing = redisMissing();
  if (missing && redisRequired()) {
    console.error(`chaos: AGENT_MESH_REQUIRE_REDIS=1 but ${missing}`);
    return 1;
  }
  if (missing) console.error(`\n!!! SKIPPING the Redis half of the chaos run: ${missing}\n`);
  const dir = await Deno.makeTempDir({ prefix: "agent-mesh-chaos-" });
  let redis: AofRedis | null = null;
  const rows: Row[] = [];
  try {
    redis = missing ? null : await startAofRedis(quick ? 300 : 900);
    const ctx: ChaosContext = {
      quick,
      seed,
      dir,
      redis,
      log,
      engine: engineFactory(dir, redis?.url ?? null),
    };
    for (const [name, run, engines] of SCENARIOS) {
      if (only && !only.includes(name)) continue;
      for (const engine of engines) {
        if (engine === "redis" && !redis) continue;
        log(`${name} on ${engine}`);
        const t0 = performance.now();
        let r: Row;
        try {
          r = await run(ctx, engine);
        } catch (err) {
          r = row(name, engine);
          r.failures.push(`crashed: ${(err as Error).stack ?? err}`);
          r.failed = r.failures.length;
        }
        r.seconds = Math.round((performance.now() - t0) / 1000);
        for (const f of r.failures) log(`${name} ${engine} FAILED (seed ${seed}): ${f}`);
        rows.push(r);
      }
    }
  } finally {
    await redis?.[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  const seconds = Math.round((performance.now() - started) / 1000);
  console.log(table(rows));
  console.log(`\nseed ${seed}, ${seconds} s${quick ? ", quick" : ""}`);
  if (out !== "-") {
    await Deno.writeTextFile(out, reliabilityDoc(rows, { seed, seconds, redis: !missing }));
    // Formatted as `deno task check` wants it (lines wrapped, table aligned).
    await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", out] }).output();
    console.log(`written to ${out}`);
  }
  // A line the quick test reads: the totals it asserts on.
  const sum = (f: (r: Row) => number) => rows.reduce((a, r) => a + f(r), 0);
  console.log(
    `chaos totals: ${
      JSON.stringify({
        rows: rows.length,
        sent: sum((r) => r.sent),
        lost: sum((r) => r.lost),
        twiceUnexplained: sum((r) => r.twiceUnexplained),
        twiceKill: sum((r) => r.twiceKill),
        fuzzCases: sum((r) => r.fuzzCases),
        failed: sum((r) => r.failed),
        redis: !missing,
      })
    }`,
  );
  return clean(rows) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
