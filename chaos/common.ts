/**
 * What every chaos scenario shares: the seeded generator, the engines a scenario
 * runs on (a private SQLite file, or a private key prefix on the run's Redis),
 * the row of counts a scenario reports, and the tally that turns what was sent
 * and what was shown into lost and shown-twice counts.
 */
import { join } from "node:path";
import { loadConfig } from "../lib/config.ts";
import { openStore } from "../lib/store/open.ts";
import type { Store } from "../lib/store/port.ts";

/** The two storage engines. */
export type EngineName = "embedded" | "redis";

/** One engine, ready for a scenario: the environment its processes share. */
export interface ChaosEngine {
  readonly name: EngineName;
  /** Environment selecting this scenario's private store and home. */
  readonly env: Record<string, string>;
  /** Opens a store on the same data, in this process. */
  open(): Promise<Store>;
}

/** What the runner gives every scenario. */
export interface ChaosContext {
  readonly quick: boolean;
  readonly seed: number;
  /** A temp dir removed at the end of the run. */
  readonly dir: string;
  /** The run's Redis (AOF on), or null when redis-server is missing. */
  readonly redis: import("./redis_aof.ts").AofRedis | null;
  /** Progress, on stderr. */
  log(line: string): void;
  /** A fresh private store of `engine` for one scenario. */
  engine(name: EngineName, extra?: Record<string, string>): Promise<ChaosEngine>;
}

/** The counts one scenario reports for one engine. */
export interface Row {
  scenario: string;
  engine: EngineName | "-";
  /** Messages whose send reported success. */
  sent: number;
  /** Of those, how many were shown at least once. */
  delivered: number;
  lost: number;
  /** Shown more than once, not explained by a kill between showing and acknowledging. */
  twiceUnexplained: number;
  /** Shown twice, the last thing a reader showed before it was SIGKILLed: documented. */
  twiceKill: number;
  /** Sends that failed with an error (not lost: the sender was told). */
  refused: number;
  /** SIGKILLs and freezes applied. */
  kills: number;
  fuzzCases: number;
  /** Fuzz cases or checks that broke a rule; details in `failures`. */
  failed: number;
  seconds: number;
  /** One line per failure: what broke and how to replay it. */
  failures: string[];
}

/** An empty row for `scenario` on `engine`. */
export function row(scenario: string, engine: EngineName | "-"): Row {
  return {
    scenario,
    engine,
    sent: 0,
    delivered: 0,
    lost: 0,
    twiceUnexplained: 0,
    twiceKill: 0,
    refused: 0,
    kills: 0,
    fuzzCases: 0,
    failed: 0,
    seconds: 0,
    failures: [],
  };
}

/** mulberry32: a small seeded generator, so that a run can be replayed with --seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** An integer in [lo, hi] drawn from `rand`. */
export function between(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/** One element of `xs` drawn from `rand`. */
export function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)];
}

/** Message texts sent and shown in one scenario run, turned into counts. */
export class Tally {
  /** Texts whose send reported success. */
  readonly sent: string[] = [];
  /** Every showing, in order. */
  readonly shown: string[] = [];
  /** Texts a reader showed last before it was SIGKILLed (may be shown again). */
  readonly atRisk = new Set<string>();
  refused = 0;
  kills = 0;

  /** Fills the message counts of `r`; returns the texts lost and shown twice unexplained. */
  into(r: Row): { lost: string[]; twice: string[] } {
    const counts = new Map<string, number>();
    for (const s of this.shown) counts.set(s, (counts.get(s) ?? 0) + 1);
    const lost = this.sent.filter((s) => !counts.has(s));
    const twice = [...counts].filter(([, n]) => n > 1).map(([s]) => s);
    const documented = twice.filter((s) => this.atRisk.has(s) && counts.get(s) === 2);
    const unexplained = twice.filter((s) => !documented.includes(s));
    r.sent = this.sent.length;
    r.delivered = this.sent.filter((s) => counts.has(s)).length;
    r.lost = lost.length;
    r.twiceUnexplained = unexplained.length;
    r.twiceKill = documented.length;
    r.refused = this.refused;
    r.kills = this.kills;
    if (lost.length) r.failures.push(`lost: ${lost.slice(0, 10).join(", ")}`);
    if (unexplained.length) {
      r.failures.push(`shown twice, unexplained: ${unexplained.slice(0, 10).join(", ")}`);
    }
    return { lost, twice: unexplained };
  }
}

/** Builds a ChaosEngine factory over `dir` and the run's Redis URL. */
export function engineFactory(
  dir: string,
  redisUrl: string | null,
): (name: EngineName, extra?: Record<string, string>) => Promise<ChaosEngine> {
  let n = 0;
  return async (name, extra = {}) => {
    const home = join(dir, `home-${++n}`);
    await Deno.mkdir(home, { recursive: true });
    const common = {
      NO_COLOR: "1",
      AGENT_MESH_HOME: home,
      AGENT_MESH_PREFIX: `chaos${n}`,
      AGENT_MESH_TOKEN: "",
      AGENT_MESH_AGENT: "",
      AGENT_MESH_GATE_ENFORCE: "0",
    };
    if (name === "redis" && !redisUrl) throw new Error("Redis is not available in this run");
    const env: Record<string, string> = name === "redis"
      ? { ...common, AGENT_MESH_REDIS_URL: redisUrl!, ...extra }
      : { ...common, AGENT_MESH_REDIS_URL: "", AGENT_MESH_DB: join(home, "mesh.db"), ...extra };
    return { name, env, open: () => openStore(loadConfig((k) => env[k])) };
  };
}

/** Resolves after `ms`: pacing of load and of chaos, never ordering of processes. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A store's keys with a fingerprint each (stream length and last id, or string value). */
export async function snapshot(store: Store, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const streams = new Set(await store.scan(prefix, "stream"));
  const strings = (await store.scan(prefix)).filter((k) => !streams.has(k));
  for (const key of streams) {
    const last = await store.revRange(key, 1);
    out.set(key, `stream ${await store.length(key)} ${last[0]?.id ?? "-"}`);
  }
  // One round trip for all strings: earlier scenarios leave thousands of state keys.
  const values = strings.length ? await store.getMany(strings) : [];
  strings.forEach((key, i) => {
    // SCAN may still list a key whose time ran out; GET then finds nothing: gone.
    if (values[i] !== null) out.set(key, `string ${values[i]}`);
  });
  return out;
}

/**
 * What `after` added or changed compared with `before`. Keys that vanished are
 * not counted: presence and rate windows expire by themselves.
 */
export function written(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) out.push(k);
  return out;
}
