/**
 * Keeps the benchmark harness alive: `bench/run.ts --quick` must produce every
 * figure on both engines with sane numbers and a well-formed results file. It
 * asserts no timing at all: speed is judged by `deno task bench`, not by tests.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { skipRedis } from "./harness/redis_server.ts";
import { claudeMissing } from "./harness/claude/skip.ts";
import { locateOriginal } from "../bench/original.ts";

const RUN = fileURLToPath(new URL("../bench/run.ts", import.meta.url));
/** Whether the original Python tool runs here (Debian's python3 with redis and click). */
const ORIGINAL = locateOriginal().src !== undefined;
/** The CLI calls the bench times beside the original's (each has a wall time and a memory row). */
const CALLS = [
  "--version",
  "--help",
  "send",
  "send --private",
  "register",
  "who",
  "deregister",
  "ping (a monitor answers)",
  "request (a bare-Redis replier answers)",
  "reply",
  "ack",
  "listen (a message waiting)",
  "pending (a local file in both)",
];
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Every figure the harness reports, by engine. */
const EXPECTED: [RegExp, string[]][] = [
  [/^floor: Redis PING round trip \(ioredis\)$/, ["redis"]],
  [/^floor: empty `deno run` script$/, ["none"]],
  [/^CLI --version$/, ["none"]],
  [/^CLI send$/, ["embedded", "redis"]],
  [/^ping round trip/, ["embedded", "redis"]],
  [/^direct send throughput \(1 process\)$/, ["embedded", "redis"]],
  [/^direct send throughput \(8 processes, aggregate\)$/, ["embedded", "redis"]],
  [/^broadcast to 50 listening agents/, ["embedded", "redis"]],
  [/^who with 10,000 agents \(in-process\)$/, ["embedded", "redis"]],
  [/^who --json with 10,000 agents \(CLI wall time\)$/, ["embedded", "redis"]],
  [/^monitor idle CPU/, ["embedded", "redis"]],
  [/^monitor RSS$/, ["embedded", "redis"]],
  [/^serve --http RSS, idle$/, ["embedded", "redis"]],
  [/^serve --http RSS, \d+ sessions in mesh_listen$/, ["embedded", "redis"]],
  // Ours always; the original's beside them where it is installed.
  [
    /^fan-out: a send's group echo to \d+ listener processes \(per listener\)$/,
    ORIGINAL ? ["embedded", "redis", "original"] : ["embedded", "redis"],
  ],
  ...(ORIGINAL
    ? CALLS.flatMap((c) =>
      [
        [new RegExp(`^CLI ${escape(c)}, wall time vs the original$`), ["redis"]],
        [new RegExp(`^CLI ${escape(c)}, peak memory vs the original$`), ["redis"]],
      ] as [RegExp, string[]][]
    )
    : []),
  // With the real Claude Code client (CI installs it; AGENT_MESH_REQUIRE_CLAUDE=1).
  ...(claudeMissing() ? [] : [
    [/^claude-wake-floor$/, ["none"]],
    [/^claude-idle-wake$/, ["embedded", "redis"]],
    [/^claude-mid-turn$/, ["embedded", "redis"]],
  ] as [RegExp, string[]][]),
];

interface Row {
  figure: string;
  engine: string;
  unit: string;
  median: number;
  p99: number;
  runs: number;
  floor: { name: string; unit: string; median: number } | null;
  goal: string;
  met: boolean | null;
  original?: { median: number; p99: number; runs: number; ratio: number };
}

interface Verdict {
  goal: string;
  what: string;
  unit: string;
  ours: number;
  original: number;
  limit: number;
  met: boolean;
  line: string;
}

Deno.test({
  name: "bench --quick reports every figure on both engines, with its floor",
  ignore: skipRedis(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "agent-mesh-bench-test-" });
    try {
      const out = join(dir, "results.json");
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", RUN, "--quick", "--out", out],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        // A stray AGENT_MESH_REDIS_URL of the caller must not leak into the figures.
        env: { AGENT_MESH_REDIS_URL: "", NO_COLOR: "1" },
      }).output();
      const stdout = new TextDecoder().decode(run.stdout);
      const stderr = new TextDecoder().decode(run.stderr);
      assert.equal(run.code, 0, `bench failed:\n${stderr.slice(-3000)}`);

      const doc = JSON.parse(await Deno.readTextFile(out));
      assert.equal(doc.quick, true);
      assert.deepEqual(doc.failures, []);
      for (const key of ["cpu", "cores", "memory_gb", "deno", "redis"]) {
        assert.ok(doc.machine[key] !== undefined && doc.machine[key] !== "", `machine.${key}`);
      }
      for (const floor of [doc.floors.redis_round_trip_ms, doc.floors.empty_script_ms]) {
        assert.ok(Number.isFinite(floor) && floor > 0, `floor ${floor}`);
      }
      const rows = doc.results as Row[];
      for (const r of rows) {
        const what = `${r.figure} (${r.engine})`;
        assert.ok(Number.isFinite(r.median) && r.median >= 0, `${what}: median ${r.median}`);
        assert.ok(Number.isFinite(r.p99) && r.p99 >= 0, `${what}: p99 ${r.p99}`);
        assert.ok(Number.isInteger(r.runs) && r.runs >= 1, `${what}: runs ${r.runs}`);
        assert.ok(["ms", "msg/s", "MB", "% of one core"].includes(r.unit), `${what}: ${r.unit}`);
        assert.ok(r.goal.length > 0, `${what}: goal`);
        assert.ok(r.met === null || typeof r.met === "boolean", `${what}: met`);
        if (r.floor) {
          assert.ok(Number.isFinite(r.floor.median) && r.floor.median > 0, `${what}: floor`);
        }
        if (r.unit === "ms" || r.unit === "msg/s" || r.unit === "MB") {
          assert.ok(r.median > 0, `${what}: a ${r.unit} figure above 0`);
        }
        if (r.unit === "% of one core") assert.ok(r.median <= 100 * 2, `${what}: ${r.median} %`);
        if (r.unit === "MB") assert.ok(r.median < 4096, `${what}: ${r.median} MB`);
      }
      for (const [figure, engines] of EXPECTED) {
        for (const engine of engines) {
          assert.ok(
            rows.some((r) => figure.test(r.figure) && r.engine === engine),
            `missing figure ${figure} on ${engine}`,
          );
        }
      }
      // Goals that depend on a floor carry it.
      for (const r of rows.filter((r) => /^CLI |^ping /.test(r.figure))) {
        assert.ok(r.floor, `${r.figure} (${r.engine}) has no floor`);
      }
      // Beside the original: its figure in the same row, and each goal judged on the same run.
      assert.equal(doc.original.installed, ORIGINAL);
      const verdicts = doc.verdicts as Verdict[];
      if (ORIGINAL) {
        for (const r of rows.filter((r) => / vs the original$/.test(r.figure))) {
          const o = r.original;
          assert.ok(o && o.median > 0 && o.runs >= 1, `${r.figure}: the original's figure`);
          assert.ok(Math.abs(o.ratio - o.median / r.median) < 1e-9, `${r.figure}: ratio`);
          assert.equal(r.floor?.name, "original", `${r.figure}: compared with the original`);
        }
        // Fan-out on both engines, 10 of 13 calls for speed (the Redis ones), 13 for memory.
        assert.equal(verdicts.length, 2 + 10 + CALLS.length);
        for (const v of verdicts) {
          assert.ok(v.ours > 0 && v.original > 0 && v.limit > 0, v.line);
          assert.equal(v.met, v.ours <= v.limit, v.line);
          assert.match(v.line, v.met ? /: MET\b/ : /: MISSED\b/);
          assert.ok(stdout.includes(`- ${v.line}`), `verdict printed: ${v.line}`);
        }
        assert.deepEqual(doc.skipped, []);
      } else {
        // Skipped with one line each saying why; the rest of the bench ran.
        assert.deepEqual(verdicts, []);
        assert.equal(doc.skipped.length, 2);
        for (const line of doc.skipped) {
          assert.match(line, /: skipped: the original tool cannot run here: /);
          assert.ok(stdout.includes(line), line);
        }
      }
      // The Markdown table went to stdout, one row per figure.
      assert.match(stdout, /^\| Figure \| Engine \| Median \| p99 \|/m);
      assert.equal(
        stdout.split("\n").filter((l) => /^\| (?!Figure|---)/.test(l)).length,
        rows.length,
      );
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("bench: a missing original is said, with where it was looked for", () => {
  const saved = Deno.env.get("AGENT_MESH_ORIGINAL_SRC");
  Deno.env.set("AGENT_MESH_ORIGINAL_SRC", "/nonexistent/original-src");
  try {
    const found = locateOriginal();
    assert.equal(found.src, undefined);
    assert.match(found.missing ?? "", /"\/nonexistent\/original-src".*AGENT_MESH_ORIGINAL_SRC/);
  } finally {
    if (saved === undefined) Deno.env.delete("AGENT_MESH_ORIGINAL_SRC");
    else Deno.env.set("AGENT_MESH_ORIGINAL_SRC", saved);
  }
});

Deno.test({
  name: "bench without the original says why, once per scenario, and still measures ours",
  ignore: skipRedis(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "agent-mesh-bench-test-" });
    try {
      const out = join(dir, "results.json");
      const run = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          RUN,
          "--quick",
          "--only",
          "fanout,original",
          "--listeners",
          "3",
          "--out",
          out,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        env: {
          AGENT_MESH_REDIS_URL: "",
          NO_COLOR: "1",
          AGENT_MESH_ORIGINAL_SRC: join(dir, "no-original"),
        },
      }).output();
      const stdout = new TextDecoder().decode(run.stdout);
      assert.equal(run.code, 0, new TextDecoder().decode(run.stderr).slice(-3000));
      const doc = JSON.parse(await Deno.readTextFile(out));
      assert.equal(doc.original.installed, false);
      assert.match(doc.original.why, /no-original/);
      assert.deepEqual(doc.verdicts, []);
      assert.deepEqual(doc.skipped.map((l: string) => l.split(":")[0]), [
        "fan-out (original)",
        "CLI calls vs the original",
      ]);
      for (const line of doc.skipped) assert.ok(stdout.includes(line), line);
      const fanout = (doc.results as Row[]).filter((r) => r.figure.startsWith("fan-out"));
      assert.deepEqual(fanout.map((r) => [r.engine, r.runs, r.met]), [
        ["redis", 3, null],
        ["embedded", 3, null],
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
