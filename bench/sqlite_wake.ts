/**
 * Latency probe of the embedded engine's cross-process wake (not a test).
 *
 *   deno run -A bench/sqlite_wake.ts [N]
 *
 * 1. A child process blocks in read(); this process appends N (default 200)
 *    entries with small gaps, each carrying the time of the append. The child
 *    notes when it saw each entry; prints p50/p99/max of the difference.
 * 2. A child blocks in read() with nothing to read for 10 s; prints the CPU time
 *    it used meanwhile (Linux: /proc/<pid>/stat), next to that of a child that
 *    has the store open and only sleeps (the cost of an idle Deno process).
 */
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { openSqliteStore } from "../lib/store/sqlite.ts";

/** Wall-clock ms with sub-ms resolution, comparable across processes of one host. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Child: reads `n` entries of stream "s" with blocking reads; prints each one's latency. */
async function child(path: string, n: number): Promise<void> {
  const store = await openSqliteStore(path);
  const latencies: number[] = [];
  let cursor = "0";
  while (latencies.length < n) {
    const batches = await store.read({ s: cursor }, { blockMs: 30_000 });
    if (batches.length === 0) break;
    const seen = now();
    for (const entry of batches[0].entries) {
      if (entry.fields.t) latencies.push(seen - Number(entry.fields.t));
      cursor = entry.id;
    }
  }
  await store.close();
  console.log(JSON.stringify(latencies));
}

function spawnChild(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", import.meta.filename!, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

async function waitForWaiter(path: string, stream: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const db = new DatabaseSync(path);
    const row = db.prepare("SELECT count(*) AS n FROM waiters WHERE stream = ?").get(stream) as {
      n: number;
    };
    db.close();
    if (row.n > 0) return;
    await sleep(25);
  }
  throw new Error("The child never blocked");
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** user + system CPU time of `pid` in ms (Linux). */
function cpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return ticks * 10; // USER_HZ is 100 on Linux
}

async function latency(path: string, n: number): Promise<void> {
  const store = await openSqliteStore(path);
  const proc = spawnChild(["child", path, String(n)]);
  await waitForWaiter(path, "s");
  // Warm-up (socket bind, statement preparation, JIT); entries without t are not counted.
  for (let i = 0; i < 5; i++) {
    await sleep(10);
    await store.appendMany([{ stream: "s", fields: { warmup: String(i) } }]);
  }
  for (let i = 0; i < n; i++) {
    // A gap lets the child return, look again and block before the next append.
    await sleep(10 + Math.random() * 10);
    await store.appendMany([{ stream: "s", fields: { i: String(i), t: String(now()) } }]);
  }
  const out = await proc.output();
  await store.close();
  const latencies = (JSON.parse(new TextDecoder().decode(out.stdout)) as number[])
    .sort((a, b) => a - b);
  const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
  console.log(
    `wake latency over ${latencies.length} appends: p50 ${fmt(percentile(latencies, 0.5))}, ` +
      `p99 ${fmt(percentile(latencies, 0.99))}, max ${fmt(latencies.at(-1)!)}`,
  );
}

/** Child: opens the store and sleeps `ms`. */
async function sleeper(path: string, ms: number): Promise<void> {
  const store = await openSqliteStore(path);
  await sleep(ms);
  await store.close();
}

async function idleCpu(path: string): Promise<void> {
  const store = await openSqliteStore(path); // creates the tables before the children look
  const reader = spawnChild(["child", path, "1"]);
  const baseline = spawnChild(["sleeper", path, "16000"]);
  await waitForWaiter(path, "s");
  await sleep(3000); // past start-up work (compilation, GC)
  const before = [cpuMs(reader.pid), cpuMs(baseline.pid)];
  await sleep(10_000);
  const after = [cpuMs(reader.pid), cpuMs(baseline.pid)];
  await store.appendMany([{ stream: "s", fields: { t: String(now()) } }]); // ends the child's read
  await store.close();
  await Promise.all([reader.output(), baseline.output()]);
  console.log(
    `CPU in 10 s: idle blocked reader ${after[0] - before[0]} ms, ` +
      `process with the store open and sleeping ${after[1] - before[1]} ms`,
  );
}

if (Deno.args[0] === "child") {
  await child(Deno.args[1], Number(Deno.args[2]));
} else if (Deno.args[0] === "sleeper") {
  await sleeper(Deno.args[1], Number(Deno.args[2]));
} else {
  const n = Number(Deno.args[0] ?? 200);
  const dir = await Deno.makeTempDir({ prefix: "agent-mesh-bench-" });
  try {
    await latency(join(dir, "lat.db"), n);
    if (Deno.build.os === "linux") await idleCpu(join(dir, "idle.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
