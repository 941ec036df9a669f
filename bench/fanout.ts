/**
 * Fan-out side by side with the original: N listeners, each a process of its
 * own as users run them (`monitor NAME`: ours on the embedded engine and on
 * Redis, the original's on Redis), and a default send (echoed on the group
 * stream) from a separate sender process to an agent that does not listen.
 * Per listener: the time from the sender's clock just before its send call
 * until this process reads the listener's line showing the message (one host,
 * one clock). Each round starts once every listener is back in its read.
 */
// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.11.1";
import { join } from "node:path";
import type { Mesh } from "../lib/mesh/mesh.ts";
import { type Original, originalCli, originalEnv, originalSender } from "./original.ts";
import { openMesh } from "./ping.ts";
import { AGENT, type Child, ChildGroup, MAIN, spawnProcess } from "./procs.ts";
import {
  type BenchContext,
  fmt,
  percentile,
  pick,
  type Result,
  sleep,
  summarize,
  type Verdict,
} from "./stats.ts";

type Tool = "embedded" | "redis" | "original";

/** Listeners started at once before waiting for them, to spread the start-up load. */
const WAVE = 25;
/** Resident memory a listener may need, MB: caps N to what the machine has free. */
const LISTENER_MB: Record<Tool, number> = { embedded: 75, redis: 75, original: 35 };
/** Key prefix of the original's scenario (ours use the run's own). */
const ORIGINAL_PREFIX = "benchorig";
/** Every child of this scenario stops by itself after this long, whatever happens here. */
const MAX_S = 1200;
const SENDER = "fanout-sender";
/** The send's target: an agent that does not listen, so that every listener gets the echo. */
const TARGET = "fanout-sink";

/** What one tool's scenario needs: how to start its processes and know they wait. */
interface Side {
  tool: Tool;
  listener(name: string): Child;
  sender(): Child;
  /** Resolves once a wave of listeners just started waits for traffic; `total` started so far. */
  started(names: string[], children: Child[], total: number): Promise<void>;
  /** Resolves once all `names` (started) are back waiting for traffic. */
  ready(names: string[]): Promise<void>;
  close(): Promise<void>;
}

/** Waits for `cond`, checking every 20 ms, for up to `ms`. */
async function until(what: string, ms: number, cond: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) {
      throw new Error(`fan-out: gave up waiting ${ms / 1000} s for ${what}`);
    }
    await sleep(20);
  }
}

/** Clients of the Redis blocked in the command `cmd` right now (CLIENT LIST). */
async function blockedIn(redis: Redis, cmd: string): Promise<number> {
  const list = await redis.call("CLIENT", "LIST") as string;
  return list.split("\n").filter((l) => l.includes(` cmd=${cmd} `) && /\bflags=\S*b/.test(l))
    .length;
}

function oursSide(ctx: BenchContext, tool: "embedded" | "redis", mesh: Mesh): Side {
  const env = ctx.envs[tool];
  return {
    tool,
    listener: (name) =>
      spawnProcess(Deno.execPath(), ["run", "-A", MAIN, "monitor", name], env, {
        maxSeconds: MAX_S,
      }),
    sender: () =>
      spawnProcess(Deno.execPath(), ["run", "-A", AGENT, "sender", SENDER], env, {
        stdin: true,
        maxSeconds: MAX_S,
      }),
    async started(names, children) {
      await Promise.all(
        children.map((c, i) => c.waitFor(new RegExp(`^monitoring ${names[i]} `), 300_000)),
      );
      await this.ready(names);
    },
    async ready(names) {
      // A pong proves the listener is in its read loop, its group-stream position taken.
      for (const to of names) {
        const r = await mesh.ping({ from: "fanout-bench", to, timeoutMs: 60_000 });
        if (!r.ok) throw new Error(`fan-out: ${to} (${tool}) answered no ping within 60 s`);
      }
    },
    close: () => mesh.store.close(),
  };
}

function originalSide(ctx: BenchContext, tool: Original, redis: Redis): Side {
  const home = join(ctx.dir, "original-fanout-home");
  Deno.mkdirSync(home, { recursive: true });
  const env = originalEnv(tool, { redisUrl: ctx.redisUrl, prefix: ORIGINAL_PREFIX, home });
  const blocked = (n: number) =>
    until(
      `${n} original listeners blocked in XREAD`,
      300_000,
      async () => (await blockedIn(redis, "xread")) >= n,
    );
  return {
    tool: "original",
    listener: (name) => {
      const [cmd, args] = originalCli(["monitor", name]);
      return spawnProcess(cmd, args, env, { maxSeconds: MAX_S });
    },
    sender: () => {
      const [cmd, args] = originalSender(SENDER);
      return spawnProcess(cmd, args, env, { stdin: true, maxSeconds: MAX_S });
    },
    // The original prints nothing when it starts and answers a ping by leaving its read for
    // 0.1 s: its listeners are ready when each has its one connection blocked in XREAD.
    started: (_names, _children, total) => blocked(total),
    ready: (names) => blocked(names.length),
    close: () => Promise.resolve(),
  };
}

/** How many listeners fit in the memory free now (at most `n`). */
function fitting(n: number, tool: Tool): number {
  const free = Deno.systemMemoryInfo().available / 2 ** 20;
  return Math.max(1, Math.min(n, Math.floor((free * 0.8) / LISTENER_MB[tool])));
}

/** One tool's listeners and rounds; per-listener latencies of the timed rounds, ms. */
async function runSide(
  ctx: BenchContext,
  side: Side,
  n: number,
  rounds: number,
): Promise<number[]> {
  await using children = new ChildGroup();
  const names = Array.from({ length: n }, (_, i) => `fan-${side.tool.slice(0, 1)}-${i}`);
  const listeners: Child[] = [];
  for (let i = 0; i < n; i += WAVE) {
    const waveNames = names.slice(i, i + WAVE);
    const wave = waveNames.map((name) => children.add(side.listener(name)));
    listeners.push(...wave);
    await side.started(waveNames, wave, listeners.length);
  }
  const sender = children.add(side.sender());
  await sender.waitFor(/^ready$/, 60_000);
  ctx.log(`fan-out (${side.tool}): ${n} listeners ready`);
  const samples: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    if (r > 0) await side.ready(names);
    for (const c of [sender, ...listeners]) c.lines.length = c.times.length = 0;
    const token = `fanout${r}x${crypto.randomUUID().slice(0, 8)}`;
    await sender.write(`${token} ${TARGET}\n`);
    const sent = JSON.parse(await sender.waitFor(new RegExp(token), 60_000)) as { t0: number };
    const seen = new Array<number>(n).fill(NaN);
    await until(`every ${side.tool} listener showing round ${r}`, 120_000, () => {
      listeners.forEach((c, i) => {
        if (!Number.isNaN(seen[i])) return;
        const at = c.lines.findIndex((l) => l.includes(token));
        if (at >= 0) seen[i] = c.times[at];
      });
      return Promise.resolve(seen.every((t) => !Number.isNaN(t)));
    });
    // Round 0 warms every listener up (its first message); the others are timed.
    if (r > 0) samples.push(...seen.map((t) => t - sent.t0));
  }
  return samples;
}

/** The fan-out figures: ours on both engines, and the original's where it is installed. */
export async function fanoutFigures(ctx: BenchContext): Promise<Result[]> {
  const wanted = ctx.listeners ?? pick(ctx, 10, 200);
  const rounds = pick(ctx, 1, 5);
  const tools: Tool[] = ["original", "redis", "embedded"];
  const original = ctx.original.tool;
  if (!original) {
    const why =
      `fan-out (original): skipped: the original tool cannot run here: ${ctx.original.missing}`;
    ctx.skipped.push(why);
    ctx.log(why);
    tools.shift();
  }
  const redis = new Redis(ctx.redisUrl, { disableClientInfo: true });
  redis.on("error", () => {});
  const measured = new Map<Tool, { samples: number[]; n: number }>();
  try {
    for (const tool of tools) {
      const n = fitting(wanted, tool);
      const side = tool === "original"
        ? originalSide(ctx, original!, redis)
        : oursSide(ctx, tool, await openMesh(ctx.envs[tool]));
      try {
        ctx.log(`fan-out (${tool}): starting ${n} listeners`);
        measured.set(tool, { samples: await runSide(ctx, side, n, rounds), n });
      } finally {
        await side.close();
      }
    }
  } finally {
    redis.disconnect();
  }
  return report(ctx, measured, wanted, rounds);
}

function report(
  ctx: BenchContext,
  measured: Map<Tool, { samples: number[]; n: number }>,
  wanted: number,
  rounds: number,
): Result[] {
  const orig = measured.get("original");
  const origP50 = orig ? percentile(orig.samples, 50) : NaN;
  const results: Result[] = [];
  for (const [tool, { samples, n }] of measured) {
    const s = summarize(samples);
    const p95 = percentile(samples, 95);
    const max = Math.max(...samples);
    const factor = tool === "embedded" ? 2 : 1;
    const judged = tool !== "original" && orig !== undefined;
    const goal = tool === "original"
      ? "the reference (the original tool)"
      : `p50 ≤ ${factor === 2 ? "2 × " : ""}the original's${
        judged ? "" : " (not installed: not judged)"
      }`;
    const short = n < wanted ? ` (${n} of ${wanted}: what the free memory allowed)` : "";
    const result: Result = {
      figure: `fan-out: a send's group echo to ${n} listener processes (per listener)`,
      engine: tool,
      unit: "ms",
      ...s,
      floor: judged ? { name: "original", unit: "ms", median: origP50 } : null,
      goal,
      met: judged ? s.median <= factor * origP50 : null,
      note: `p95 ${fmt(p95)} ms, max ${fmt(max)} ms; ${n} listeners × ${rounds} round${
        rounds === 1 ? "" : "s"
      }${short}`,
      detail: { p95, max, listeners: n, rounds },
    };
    if (judged) {
      result.original = { ...summarize(orig.samples), ratio: origP50 / s.median };
      const limit = factor * origP50;
      const verdict: Verdict = {
        goal: `200-listener fan-out p50 ≤ ${factor === 2 ? "2 × " : ""}the original's`,
        what: `fan-out p50, ${tool}`,
        unit: "ms",
        ours: s.median,
        original: origP50,
        limit,
        met: s.median <= limit,
        line: `fan-out to ${n} listeners, ${tool} p50 ${fmt(s.median)} ms vs original ${
          fmt(origP50)
        } ms${factor === 2 ? " × 2" : ""} = ${fmt(limit)} ms: ${
          s.median <= limit ? "MET" : "MISSED"
        }`,
      };
      ctx.verdicts.push(verdict);
    }
    results.push(result);
  }
  return results;
}
