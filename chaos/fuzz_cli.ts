/**
 * Scenario "fuzz-cli": a few hundred generated command lines and environment
 * values (unknown flags and commands, bad names, huge, empty and control-character
 * texts, bad numbers, bad settings). Each must exit 0, 1 or 2 within its bound,
 * never print a stack trace, print exactly one line on stderr when it fails, and
 * write nothing when refused (the whole store is compared before and after).
 */
import { join } from "node:path";
import {
  between,
  type ChaosContext,
  type EngineName,
  pick,
  type Row,
  row,
  seeded,
  snapshot,
  written,
} from "./common.ts";
import { runBounded } from "./proc.ts";
import { COMMAND_NAMES } from "../commands/index.ts";

/**
 * Commands left out: those that do not end by themselves (a server, a follower)
 * or write outside the store (setup files, tokens, a demo's agents, a hook's
 * waiter). Every other command is fuzzed, a new one included.
 */
const NOT_FUZZED = [
  "monitor",
  "tail",
  "serve",
  "dashboard",
  "token",
  "setup",
  "hook",
  "doctor",
  "demo",
];
const COMMANDS = COMMAND_NAMES.filter((name) => !NOT_FUZZED.includes(name));

const NAMES = [
  "bob",
  "alice",
  "",
  " ",
  "../../etc/passwd",
  "a/b",
  "x".repeat(300),
  "bad name",
  "-dash",
  "név",
  "\u0007bell",
  "a\nb",
  "*",
  "\x1b[31mred",
  "bob\r",
  ".",
  "..",
];
const TEXTS = [
  "hi",
  "",
  " ",
  "\n",
  "\x1b[2J\x1b[H",
  "a\rb\tc",
  "\u202eevil",
  "x".repeat(5000),
  "💥",
];
const NUMBERS = [
  "-1",
  "0",
  "abc",
  "NaN",
  "Infinity",
  "1e400",
  "",
  "0x10",
  " 1",
  "1.5.2",
  "99999999999999999999",
  "-0",
  "0.1",
];
const FLAGS = [
  "--from",
  "--private",
  "--expect-reply",
  "--within",
  "--wait",
  "--timeout",
  "--strict",
  "--json",
  "--file",
  "--bogus",
  "-x",
  "--",
  "--help",
  "--json=maybe",
  "--timeout=abc",
  "--from=",
  "-",
  "---",
];
/** Settings and bad values for them (valid ones too, so that some cases run through). */
const SETTINGS: Record<string, string[]> = {
  AGENT_MESH_LEASE_S: ["0", "-5", "abc", "1e9", ""],
  AGENT_MESH_MAX_BYTES: ["10", "0", "-1", "huge", "1.5"],
  AGENT_MESH_GATE_LIMIT: ["0", "-1", "x", "2"],
  AGENT_MESH_GATE_ENFORCE: ["1", "yes", "2", ""],
  AGENT_MESH_MAX_UNREAD: ["0", "1", "-3", "many"],
  AGENT_MESH_HISTORY: ["0", "-1", "abc"],
  AGENT_MESH_PREFIX: ["", "a b", "x:y", "\x1b", "p".repeat(500)],
  AGENT_MESH_AGENT: ["", "bad name", "../x", "bob"],
  AGENT_MESH_REPING_S: ["a,b", "-1", "30,60", ""],
  AGENT_MESH_ESCALATE_TO: ["bad name", "", "lead"],
  AGENT_MESH_REDIS_URL: ["notaurl", "http://127.0.0.1:1"],
};

/** One generated case: arguments and extra environment. */
export interface CliCase {
  args: string[];
  env: Record<string, string>;
}

/** Generates case number `i` from `rand`; `bigFile` is a file over the size limit. */
export function cliCase(rand: () => number, bigFile: string): CliCase {
  const cmd = rand() < 0.05 ? pick(rand, ["nonsense", "", "SEND", "--json"]) : pick(rand, COMMANDS);
  const args: string[] = [cmd];
  const n = between(rand, 0, 5);
  for (let k = 0; k < n; k++) {
    const p = rand();
    if (p < 0.3) args.push(pick(rand, NAMES));
    else if (p < 0.5) args.push(pick(rand, TEXTS));
    else if (p < 0.8) {
      const flag = pick(rand, FLAGS);
      args.push(flag);
      if (flag === "--file") args.push(rand() < 0.5 ? bigFile : "/nonexistent/file");
      else if (rand() < 0.6) args.push(pick(rand, [...NUMBERS, ...NAMES]));
    } else args.push(pick(rand, NUMBERS));
  }
  // Commands that wait get a short wait unless the generator already chose one.
  if (["listen", "ping", "request"].includes(cmd) && !args.some((a) => a.startsWith("--timeout"))) {
    args.push("--timeout", "0.3");
  }
  if (args.includes("--wait") && !args.some((a) => a.startsWith("--timeout"))) {
    args.push("--timeout", "0.3");
  }
  const env: Record<string, string> = {};
  if (rand() < 0.3) {
    const key = pick(rand, Object.keys(SETTINGS));
    env[key] = pick(rand, SETTINGS[key]);
  }
  return { args, env };
}

/** A case for a log line: JSON, cut short. */
function show(c: CliCase): string {
  const s = JSON.stringify(
    c,
    (_k, v) => typeof v === "string" && v.length > 40 ? `${v.slice(0, 20)}…(${v.length})` : v,
  );
  return s;
}

/** Whether a failing case may have written before failing: it waited for an answer. */
function waitsAfterWriting(c: CliCase): boolean {
  return ["ping", "request"].includes(c.args[0]) || c.args.includes("--wait");
}

/** Runs the scenario on `engine`. */
export async function fuzzCliScenario(ctx: ChaosContext, engine: EngineName): Promise<Row> {
  const cases = ctx.quick ? 50 : 300;
  const r = row("CLI fuzzing", engine);
  const e = await ctx.engine(engine);
  const bigFile = join(ctx.dir, "big.txt");
  await Deno.writeTextFile(bigFile, "y".repeat(300_000));
  const rand = seeded(ctx.seed + 5);
  const store = await e.open();
  // Someone exists, so that names resolve and some cases succeed.
  await runBounded(e.env, ["register", "bob"], 30_000);
  const codes: Record<number, number> = {};
  try {
    let before = await snapshot(store, "");
    for (let i = 0; i < cases; i++) {
      const c = cliCase(rand, bigFile);
      const t0 = Date.now();
      const res = await runBounded({ ...e.env, ...c.env }, c.args, 20_000);
      if (Deno.env.get("CHAOS_DEBUG")) {
        console.error(`case ${i} ${show(c)} -> ${res.code} in ${Date.now() - t0} ms`);
      }
      r.fuzzCases++;
      codes[res.code] = (codes[res.code] ?? 0) + 1;
      const problems: string[] = [];
      if (res.timedOut) problems.push("did not end within 20 s");
      else if (![0, 1, 2].includes(res.code)) problems.push(`exit ${res.code}`);
      if (/^\s+at .+:\d+:\d+\)?$/m.test(res.stderr) || /Uncaught|panicked/.test(res.stderr)) {
        problems.push("stack trace");
      }
      // A warning (say, an unknown target) may come before the one error line.
      const errLines = res.stderr.trim().split("\n").filter((l) =>
        !/^agent-mesh: Warning: /.test(l)
      );
      if (res.code !== 0 && (res.stderr.trim() === "" || errLines.length !== 1)) {
        problems.push(`${errLines.length} stderr lines`);
      }
      const after = await snapshot(store, "");
      if (res.code !== 0 && !(res.code === 1 && waitsAfterWriting(c))) {
        const keys = written(before, after);
        if (keys.length) problems.push(`exit ${res.code} but wrote ${keys.join(", ")}`);
      }
      before = after;
      if (problems.length) {
        r.failures.push(
          `case ${i} ${show(c)}: ${problems.join("; ")}; stderr: ${
            res.stderr.trim().slice(0, 300)
          }`,
        );
      }
    }
  } finally {
    await store.close();
  }
  ctx.log(`fuzz-cli ${engine}: exit codes ${JSON.stringify(codes)}`);
  ctx.log(`fuzz-cli ${engine}: ${r.fuzzCases} cases, ${r.failures.length} failures`);
  r.failed = r.failures.length;
  return r;
}
