/**
 * The Redis floor: the raw round trip of a PING through ioredis (a client apart
 * from agent-mesh's own, so that the floor owes nothing to our code) to the run's
 * redis-server. Also the floor of a ping's own
 * shape: the same two processes and the same
 * exchange (XADD to a stream a blocked XREAD waits on, answered by an XADD to a
 * stream the first process waits on), with nothing of agent-mesh but the socket.
 */
// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.11.1";
import { AGENT, spawnDeno } from "./procs.ts";
import { type BenchContext, pick, type Result, sleep, summarize } from "./stats.ts";

async function timed(n: number, warmup: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

/** Measures the Redis round trip floor. */
export async function redisFloor(ctx: BenchContext): Promise<Result[]> {
  const n = pick(ctx, 300, 3000);
  const raw = new Redis(ctx.redisUrl, {
    lazyConnect: true,
    disableClientInfo: true,
    disconnectTimeout: 100,
  });
  raw.on("error", () => {});
  let viaIoredis: number[];
  try {
    await raw.connect();
    viaIoredis = await timed(n, 200, () => raw.ping());
  } finally {
    raw.disconnect();
  }
  const floor = summarize(viaIoredis);
  ctx.floors.redisRoundTripMs = floor.median;
  return [
    {
      figure: "floor: Redis PING round trip (ioredis)",
      engine: "redis",
      unit: "ms",
      ...floor,
      floor: null,
      goal: "the floor",
      met: null,
    },
  ];
}

/** A ping's exchange in bare Redis commands between two processes, with the ping figure's pauses. */
export async function redisPingPongFloor(ctx: BenchContext): Promise<Result> {
  const n = pick(ctx, 40, 500);
  const stream = `pingpong:${crypto.randomUUID().slice(0, 8)}`;
  await using echo = spawnDeno([AGENT, "echo", ctx.redisUrl, stream], {});
  await echo.waitFor(/^ready$/);
  const reader = new Redis(ctx.redisUrl, { disableClientInfo: true });
  const writer = new Redis(ctx.redisUrl, { disableClientInfo: true });
  const samples: number[] = [];
  try {
    await sleep(200); // the echo blocked in its XREAD
    for (let i = 0; i < 20 + n; i++) {
      await sleep(2);
      const nonce = String(i);
      const t = performance.now();
      const adding = writer.call("XADD", stream, "*", "nonce", nonce);
      const reading = reader.call("XREAD", "BLOCK", 5000, "STREAMS", `${stream}:${nonce}`, "0");
      await adding;
      if (!(await reading)) throw new Error(`bare ping-pong ${i}: no answer`);
      if (i >= 20) samples.push(performance.now() - t);
    }
  } finally {
    reader.disconnect();
    writer.disconnect();
  }
  const s = summarize(samples);
  ctx.floors.redisPingPongMs = s.median;
  return {
    figure: "floor: a ping's exchange in bare Redis commands (two processes)",
    engine: "redis",
    unit: "ms",
    ...s,
    floor: { name: "redis PING round trip", unit: "ms", median: ctx.floors.redisRoundTripMs },
    goal: "the floor of the ping figure's shape (reported)",
    met: null,
  };
}
