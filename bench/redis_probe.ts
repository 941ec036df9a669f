/**
 * Quick probe of the Redis engine's latency (not a test): a raw PING round trip
 * through ioredis, an append through the engine, and the wake of a read blocked on
 * one store by an append through another (two connections). 500 iterations each.
 *
 *   deno run -A bench/redis_probe.ts            # starts a throwaway redis-server
 *   AGENT_MESH_REDIS_URL=redis://… deno run -A bench/redis_probe.ts
 */
// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.11.1";
import { openRedisStore } from "../lib/store/redis.ts";
import { startRedis } from "../tests/harness/redis_server.ts";

const N = 500;
const WARMUP = 50;

function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function report(name: string, samples: number[]): void {
  const f = (ms: number) => `${(ms * 1000).toFixed(0).padStart(6)} µs`;
  console.log(`${name.padEnd(36)} p50 ${f(pct(samples, 50))}   p99 ${f(pct(samples, 99))}`);
}

async function measure(fn: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

const given = Deno.env.get("AGENT_MESH_REDIS_URL");
await using server = given ? null : await startRedis(300);
const url = given || server!.url;
const key = `probe:${crypto.randomUUID()}`;

const raw = new Redis(url, { disableClientInfo: true, disconnectTimeout: 100 });
raw.on("error", () => {});
const reader = await openRedisStore(url);
const writer = await openRedisStore(url);
try {
  report("raw PING (ioredis)", await measure(async () => void await raw.ping()));
  report(
    "append (XADD via engine)",
    await measure(async () =>
      void (await writer.appendMany([{ stream: key, fields: { x: "1" } }]))[0]
    ),
  );

  let cursor = (await writer.revRange(key, 1))[0].id;
  const wake: number[] = [];
  for (let i = 0; i < WARMUP + N; i++) {
    const reading = reader.read({ [key]: cursor }, { blockMs: 5000 });
    await new Promise((r) => setTimeout(r, 2)); // let the XREAD reach the server first
    const t = performance.now();
    const id = (await writer.appendMany([{ stream: key, fields: { x: "1" } }]))[0];
    const batches = await reading;
    if (i >= WARMUP) wake.push(performance.now() - t);
    if (batches[0]?.entries[0]?.id !== id) throw new Error(`woken with ${JSON.stringify(batches)}`);
    cursor = id;
  }
  report("append → blocked read woken", wake);
} finally {
  await writer.del(key);
  await reader.close();
  await writer.close();
  await raw.quit();
}
