/**
 * What every figure group shares: samples to median/p99, the shape of a result
 * and of results.json, and the context (engines, floors, quick mode) a group runs in.
 */
import type { OriginalFound } from "./original.ts";

/** Median, p99 and count of a list of samples. */
export interface Summary {
  median: number;
  p99: number;
  runs: number;
}

/** The `p`-th percentile (0-100) of `samples`, nearest rank. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Median, p99 and count of `samples`. */
export function summarize(samples: number[]): Summary {
  return { median: percentile(samples, 50), p99: percentile(samples, 99), runs: samples.length };
}

/** The floors, measured in the same run as the figures. */
export interface Floors {
  /** Median PING round trip through ioredis to the run's redis-server, ms. */
  redisRoundTripMs: number;
  /** Median wall time of `deno run` on an empty script, ms. */
  emptyScriptMs: number;
  /** Median of a ping's exchange in bare Redis commands between two processes, ms. */
  redisPingPongMs: number;
  /** Median rate of bare SQLite transactions writing as many pages as a send, per s. */
  sqliteSendPerS?: number;
}

/** The floor a figure is compared with. */
export interface FloorRef {
  name: "redis PING round trip" | "empty deno run" | "original" | "bare SQLite transaction";
  unit: "ms" | "MB" | "msg/s";
  median: number;
}

/** One measured figure. */
export interface Result extends Summary {
  /** Short id of the figure, the same for both engines (`ping`, `send-throughput`, ...). */
  figure: string;
  /** `original`: the original Python tool, on the run's Redis. */
  engine: "embedded" | "redis" | "none" | "original";
  /** `ms`, `msg/s`, `MB` or `% of one core`. */
  unit: string;
  /** The floor in force for this figure (null when the goal does not depend on one). */
  floor: FloorRef | null;
  /** The goal in words, as the issue states it. */
  goal: string;
  /** Whether the goal is met (null when the figure has no goal). */
  met: boolean | null;
  /** Anything a reader needs to read the number right. */
  note?: string;
  /** The original tool's figure measured beside this one, and original / ours. */
  original?: Summary & { ratio: number };
  /** Further statistics of the samples (p95, max, ...). */
  detail?: Record<string, number>;
}

/** A goal judged against the original's figure of the same run. */
export interface Verdict {
  /** The goal in words. */
  goal: string;
  /** What it was judged on (`fan-out p50, embedded`, `CLI send, wall time`, ...). */
  what: string;
  unit: string;
  ours: number;
  original: number;
  /** The most ours may be for the goal to be met. */
  limit: number;
  met: boolean;
  /** One line: `fan-out embedded p50 531 ms vs original 21 ms × 2 = 42 ms: MISSED`. */
  line: string;
}

/** What a figure group gets to run with. */
export interface BenchContext {
  quick: boolean;
  /** Environment selecting each engine's throwaway store (and a private home). */
  envs: Record<"embedded" | "redis", Record<string, string>>;
  /** The Redis URL of the run's throwaway redis-server. */
  redisUrl: string;
  /** A private temp folder for this run. */
  dir: string;
  floors: Floors;
  /** Listener processes of the fan-out figure, when not its default. */
  listeners?: number;
  /** The original Python tool, or why it cannot run here. */
  original: OriginalFound;
  /** Goals judged against the original, filled by the groups that measure it. */
  verdicts: Verdict[];
  /** Scenarios skipped, one line each saying why. */
  skipped: string[];
  /** Prints a progress line on stderr. */
  log(line: string): void;
}

/** Figures per group, quick or full: `pick(ctx, quick, full)`. */
export function pick<T>(ctx: BenchContext, quick: T, full: T): T {
  return ctx.quick ? quick : full;
}

/** Wall-clock ms with sub-ms resolution, comparable across processes of one host. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Formats a number for the table: 3 significant digits, thousands kept whole. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString("en-US");
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toFixed(3);
}
