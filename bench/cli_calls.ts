/**
 * Every CLI call both tools have, ours (`deno run -A main.ts`, warm cache, on
 * Redis) beside the original's (Python, warm bytecode cache) on the run's
 * redis-server: the median wall time, spawn to exit, and the peak memory (max
 * RSS). Runs of the two alternate, call by call and round by round, so that a
 * busy moment of the machine weighs on both alike.
 */
// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.11.1";
import { join } from "node:path";
import { rssMeter } from "./max_rss.ts";
import { type Original, originalCli, originalEnv } from "./original.ts";
import { ChildGroup, MAIN, spawnProcess, timeCommand } from "./procs.ts";
import { type BenchContext, fmt, pick, type Result, summarize, type Verdict } from "./stats.ts";

/** Key prefix of the original's calls (ours use the run's own). */
const ORIGINAL_PREFIX = "benchorigcli";
/**
 * The Redis database both tools' calls use: one that no other figure fills.
 * The original's `who` SCANs the whole keyspace 10 keys a round trip, so the
 * 10,000 agents of the who figure (in database 0) would make it 9 × slower.
 */
const DB = 2;
/** How much faster than the original's every Redis CLI call of ours is to be. */
const SPEED_GOAL = 3;
/** How much more memory than the original's a CLI call of ours may take. */
const MEMORY_GOAL = 1.5;

type Who = "ours" | "original";

/** One CLI call, the same words for both tools. */
interface Call {
  name: string;
  /** Whether the call talks to Redis (the speed goal is about those). */
  redis: boolean;
  /** Its arguments; `prefix` is the tool's key prefix. */
  args(prefix: string): string[];
  /** Done, untimed, before each timed run (with the same tool). */
  before?: Call;
}

const hex32 = () => crypto.randomUUID().replaceAll("-", "");

const CALLS: Call[] = [
  { name: "--version", redis: false, args: () => ["--version"] },
  { name: "--help", redis: false, args: () => ["--help"] },
  {
    name: "send",
    redis: true,
    args: () => ["send", "cli-sink", "hello from the bench", "--from", "cli-bench"],
  },
  {
    name: "send --private",
    redis: true,
    args: () => ["send", "cli-sink", "a private note", "--from", "cli-bench", "--private"],
  },
  { name: "register", redis: true, args: () => ["register", "cli-agent", "--role", "bench"] },
  { name: "who", redis: true, args: () => ["who"] },
  { name: "deregister", redis: true, args: () => ["deregister", "cli-agent"] },
  {
    name: "ping (a monitor answers)",
    redis: true,
    args: () => ["ping", "cli-pong", "--from", "cli-bench", "--timeout", "10"],
  },
  {
    name: "request (a bare-Redis replier answers)",
    redis: true,
    args: () => [
      "request",
      "cli-replier",
      "what time is it?",
      "--from",
      "cli-bench",
      "--timeout",
      "10",
    ],
  },
  {
    name: "reply",
    redis: true,
    args: (prefix) => ["reply", `${prefix}:reply:${hex32()}`, "it is noon", "--from", "cli-bench"],
  },
  { name: "ack", redis: true, args: () => ["ack", "cli-peer", "thanks", "--from", "cli-bench"] },
  {
    name: "listen (a message waiting)",
    redis: true,
    args: () => ["listen", "cli-inbox", "--timeout", "10"],
    before: {
      name: "send --private to the listener",
      redis: true,
      args: () => ["send", "cli-inbox", "for the listener", "--from", "cli-bench", "--private"],
    },
  },
  { name: "pending (a local file in both)", redis: false, args: () => ["pending", "cli-bench"] },
];

/** How to run each tool: the command line of a call and its environment. */
interface Tools {
  line(who: Who, call: Call): [string, string[]];
  env: Record<Who, Record<string, string>>;
  /** The Redis URL both use. */
  url: string;
}

function tools(ctx: BenchContext, original: Original): Tools {
  const home = join(ctx.dir, "original-cli-home");
  Deno.mkdirSync(home, { recursive: true });
  const url = new URL(ctx.redisUrl);
  url.pathname = `/${DB}`;
  return {
    url: url.href,
    line(who, call) {
      if (who === "ours") {
        return [Deno.execPath(), [
          "run",
          "-A",
          MAIN,
          ...call.args(ctx.envs.redis.AGENT_MESH_PREFIX),
        ]];
      }
      return originalCli(call.args(ORIGINAL_PREFIX));
    },
    env: {
      ours: { ...ctx.envs.redis, AGENT_MESH_REDIS_URL: url.href },
      original: originalEnv(original, { redisUrl: url.href, prefix: ORIGINAL_PREFIX, home }),
    },
  };
}

/**
 * Answers every request to `cli-replier` of both tools at once, in bare Redis
 * commands (the layout both share): the request figure is the requester's cost.
 */
function replier(url: string, prefixes: string[]): { stop(): Promise<void> } {
  const redis = new Redis(url, { disableClientInfo: true });
  redis.on("error", () => {});
  let stopped = false;
  const cursors = prefixes.map(() => "$");
  const loop = (async () => {
    while (!stopped) {
      const streams = prefixes.map((p) => `${p}:to_cli-replier`);
      const got = await redis.call("XREAD", "BLOCK", 500, "STREAMS", ...streams, ...cursors)
        .catch(() => null) as [string, [string, string[]][]][] | null;
      for (const [stream, entries] of got ?? []) {
        cursors[streams.indexOf(stream)] = entries.at(-1)![0];
        for (const [, flat] of entries) {
          const i = flat.indexOf("reply_to");
          if (i < 0 || i % 2) continue;
          const ts = String(Date.now() / 1000);
          await redis.call(
            "XADD",
            flat[i + 1],
            "*",
            "from",
            "cli-replier",
            "reply",
            "noon",
            "ts",
            ts,
          );
        }
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      redis.disconnect();
    },
  };
}

async function run(t: Tools, who: Who, call: Call): Promise<number> {
  if (call.before) await run(t, who, call.before);
  const [cmd, args] = t.line(who, call);
  return await timeCommand(cmd, args, t.env[who]);
}

/** The CLI calls of both tools, timed and measured; verdicts go to ctx.verdicts. */
export async function cliVsOriginal(ctx: BenchContext): Promise<Result[]> {
  const original = ctx.original.tool;
  if (!original) {
    const why =
      `CLI calls vs the original: skipped: the original tool cannot run here: ${ctx.original.missing}`;
    ctx.skipped.push(why);
    ctx.log(why);
    return [];
  }
  const rounds = pick(ctx, 2, 15);
  const memRounds = pick(ctx, 1, 3);
  const t = tools(ctx, original);
  const meter = rssMeter(ctx.dir);
  const answering = replier(t.url, [ctx.envs.redis.AGENT_MESH_PREFIX, ORIGINAL_PREFIX]);
  // Each tool's own monitor answers its pings.
  await using monitors = new ChildGroup();
  for (const who of ["ours", "original"] as Who[]) {
    const [cmd, args] = t.line(who, {
      name: "monitor",
      redis: true,
      args: () => ["monitor", "cli-pong"],
    });
    monitors.add(spawnProcess(cmd, args, t.env[who], { maxSeconds: 900 }));
  }
  const time = CALLS.map(() => ({ ours: [] as number[], original: [] as number[] }));
  const memory = CALLS.map(() => ({ ours: [] as number[], original: [] as number[] }));
  try {
    // Warm-up: caches, keys, the monitors' first pong (a ping waits up to 10 s for it).
    for (const call of CALLS) {
      for (const who of ["ours", "original"] as Who[]) await run(t, who, call);
    }
    for (let r = 0; r < rounds; r++) {
      const order: Who[] = r % 2 ? ["original", "ours"] : ["ours", "original"];
      for (const [i, call] of CALLS.entries()) {
        for (const who of order) time[i][who].push(await run(t, who, call));
      }
    }
    for (let r = 0; meter && r < memRounds; r++) {
      for (const [i, call] of CALLS.entries()) {
        for (const who of ["ours", "original"] as Who[]) {
          if (call.before) await run(t, who, call.before);
          const [cmd, args] = t.line(who, call);
          memory[i][who].push(await meter.measure(cmd, args, t.env[who]));
        }
      }
    }
  } finally {
    await monitors.stopAll();
    await answering.stop();
  }
  if (!meter) {
    const why = "CLI peak memory vs the original: skipped: neither /usr/bin/time nor python3 here";
    ctx.skipped.push(why);
    ctx.log(why);
  } else ctx.log(`CLI peak memory measured with ${meter.how}`);
  const results: Result[] = [];
  for (const [i, call] of CALLS.entries()) {
    results.push(row(ctx, call, "wall time", "ms", time[i], call.redis ? SPEED_GOAL : null));
    if (meter) {
      results.push(row(ctx, call, "peak memory", "MB", memory[i], MEMORY_GOAL, meter.how));
    }
  }
  return results;
}

/** One figure of a call: ours, with the original's beside it and the goal judged. */
function row(
  ctx: BenchContext,
  call: Call,
  what: "wall time" | "peak memory",
  unit: "ms" | "MB",
  samples: Record<Who, number[]>,
  factor: number | null,
  how?: string,
): Result {
  const ours = summarize(samples.ours);
  const orig = summarize(samples.original);
  const ratio = orig.median / ours.median;
  // Speed: ours ≤ original / 3; memory: ours ≤ original × 1.5.
  const limit = factor === null
    ? NaN
    : what === "wall time"
    ? orig.median / factor
    : orig.median * factor;
  const met = factor === null ? null : ours.median <= limit;
  const goal = factor === null
    ? "reported (no Redis call in the original)"
    : what === "wall time"
    ? `≥ ${factor} × faster than the original (≤ ${fmt(limit)} ms)`
    : `≤ ${factor} × the original's (≤ ${fmt(limit)} MB)`;
  const figure = `CLI ${call.name}, ${what} vs the original`;
  const share = what === "wall time"
    ? `the original takes ${ratio.toFixed(2)} × ours`
    : `ours is ${(1 / ratio).toFixed(2)} × the original's`;
  if (met !== null) {
    const verdict: Verdict = {
      goal: what === "wall time"
        ? `every Redis CLI call ≥ ${factor} × faster than the original's`
        : `peak memory of a CLI call ≤ ${factor} × the original's`,
      what: `CLI ${call.name}, ${what}`,
      unit,
      ours: ours.median,
      original: orig.median,
      limit,
      met,
      line: `CLI ${call.name}, ${what}: ours ${fmt(ours.median)} ${unit} vs original ${
        fmt(orig.median)
      } ${unit} ${what === "wall time" ? "÷" : "×"} ${factor} = ${fmt(limit)} ${unit}: ${
        met ? "MET" : "MISSED"
      } (${share})`,
    };
    ctx.verdicts.push(verdict);
  }
  return {
    figure,
    engine: "redis",
    unit,
    ...ours,
    floor: { name: "original", unit, median: orig.median },
    goal,
    met,
    note: `original ${fmt(orig.median)} ${unit}: ${share}${how ? `; ${how}` : ""}`,
    original: { ...orig, ratio },
  };
}
