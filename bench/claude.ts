/**
 * Send → in the model's context, with the real Claude Code client against the stand-in
 * model (tests/harness/claude/): an idle session woken by agent-mesh's Stop-hook waiter,
 * and a message that arrives mid-turn, against the floor of Claude Code's own hook
 * machinery (an async Stop hook that exits 2 as soon as its trigger appears). Runs only
 * where the client and tmux are installed.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../lib/config.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import { openStore } from "../lib/store/open.ts";
import {
  type ClaudeHome,
  claudeMissing,
  lastPrompt,
  makeHome,
  type StandInModel,
  startInteractive,
  startModel,
  stepOfTurn,
  turnScript,
} from "../tests/harness/claude/mod.ts";
import { type BenchContext, percentile, pick, type Result, summarize, wallNow } from "./stats.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const AGENT = "benchwake";

function result(
  figure: string,
  engine: Result["engine"],
  samples: number[],
  extra: Partial<Result> = {},
): Result {
  return {
    figure,
    engine,
    unit: "ms",
    ...summarize(samples),
    floor: null,
    goal: "measured (no goal set)",
    met: null,
    note: `p95 ${percentile(samples, 95).toFixed(0)} ms`,
    ...extra,
  };
}

/** Polls `probe` (a local file read) until it differs from `old`; bounded. */
async function changed(probe: () => string, old: string, ms = 60_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = probe();
    if (now !== "" && now !== old) return now;
    if (Date.now() > deadline) throw new Error("no new Stop hook started");
    await new Promise((r) => setTimeout(r, 5));
  }
}

function read(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** An interactive session in `home` that ran one turn and is idle. */
async function idle(home: ClaudeHome, model: StandInModel) {
  const session = await startInteractive(home);
  await session.waitReady();
  await session.waitForMcp("agent-mesh").catch(() => {}); // the floor has no server
  await session.submit("go idle");
  await model.waitForRequest((r) => r.isTurn && lastPrompt(r).includes("go idle"), 90_000);
  return session;
}

/** The floor: an async Stop hook that exits 2 the moment its trigger file appears. */
async function floor(ctx: BenchContext, n: number): Promise<number[]> {
  await using model = startModel();
  await using home = await makeHome({ modelUrl: model.url });
  const dir = join(home.home, "floor");
  await Deno.mkdir(dir);
  const hook = await home.writeProjectFile(
    "floor.ts",
    `const dir = Deno.args[0];
await new Response(Deno.stdin.readable).text();
await Deno.writeTextFile(dir + "/armed", crypto.randomUUID());
const take = async () => {
  try { await Deno.rename(dir + "/wake", dir + "/taken." + Deno.pid); } catch { return; }
  console.error(await Deno.readTextFile(dir + "/taken." + Deno.pid));
  Deno.exit(2);
};
const watcher = Deno.watchFs(dir);
await take();
for await (const _ of watcher) await take();
`,
  );
  await home.setProjectSettings({
    hooks: {
      Stop: [{
        hooks: [{
          type: "command",
          command: `exec ${Deno.execPath()} run -A ${hook} ${dir}`,
          async: true,
          asyncRewake: true,
          timeout: 600,
        }],
      }],
    },
  });
  await using _s = await idle(home, model);
  const samples: number[] = [];
  let armed = "";
  for (let i = 0; i < n; i++) {
    armed = await changed(() => read(join(dir, "armed")), armed);
    const text = `FLOOR-${i}-${crypto.randomUUID().slice(0, 6)}`;
    const before = model.requests.length;
    await Deno.writeTextFile(join(dir, "wake.tmp"), text);
    const t0 = wallNow();
    await Deno.rename(join(dir, "wake.tmp"), join(dir, "wake"));
    await model.waitForRequest((r) => r.isTurn && r.text.includes(text), 60_000, before);
    samples.push(wallNow() - t0);
    ctx.log(`claude floor ${i + 1}/${n}`);
  }
  return samples;
}

/** agent-mesh's idle wake and mid-turn delivery on `engine`. */
async function wake(
  ctx: BenchContext,
  engine: "embedded" | "redis",
  n: number,
): Promise<{ idle: number[]; midTurn: number[] }> {
  const env = ctx.envs[engine];
  await using model = startModel();
  await using home = await makeHome({ modelUrl: model.url });
  const setup = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "setup", "claude-code", "--as", AGENT],
    cwd: home.project,
    env: { ...home.env, ...env },
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!setup.success) throw new Error(new TextDecoder().decode(setup.stderr));
  const config = loadConfig((k) => env[k] ?? Deno.env.get(k));
  const store = await openStore(config);
  const mesh = new Mesh(store, config);
  try {
    await using _s = await idle(home, model);
    const home2 = env.AGENT_MESH_HOME;
    const waiterToken = () => {
      try {
        for (const e of Deno.readDirSync(home2)) {
          if (e.name.startsWith(`waiter-${AGENT}-`)) return read(join(home2, e.name));
        }
      } catch { /* not yet */ }
      return "";
    };
    const idleSamples: number[] = [];
    let armed = "";
    for (let i = 0; i < n; i++) {
      armed = await changed(waiterToken, armed);
      const text = `WAKE-${i}-${crypto.randomUUID().slice(0, 6)}`;
      const before = model.requests.length;
      const t0 = wallNow();
      await mesh.send({ from: "bench", to: AGENT, text, private: true });
      await model.waitForRequest((r) => r.isTurn && r.text.includes(text), 60_000, before);
      idleSamples.push(wallNow() - t0);
      ctx.log(`claude idle wake (${engine}) ${i + 1}/${n}`);
    }
    // Mid-turn: the model calls Read twice; a message is sent as the first result comes
    // back, and the clock stops when a request of the same turn holds it.
    const notes = await home.writeProjectFile("notes.txt", "harmless\n");
    const mid: number[] = [];
    for (let i = 0; i < n; i++) {
      armed = await changed(waiterToken, armed);
      const text = `MID-${i}-${crypto.randomUUID().slice(0, 6)}`;
      const prompt = `read twice ${i}`;
      let t0 = 0;
      const steps = turnScript(
        [{ tool: "Read", input: { file_path: notes } }, {
          tool: "Read",
          input: { file_path: notes },
        }, "done"],
        (r) => lastPrompt(r).includes(prompt),
      );
      model.setScript(async (r) => {
        if (r.isTurn && lastPrompt(r).includes(prompt) && stepOfTurn(r) === 1 && t0 === 0) {
          t0 = wallNow();
          await mesh.send({ from: "bench", to: AGENT, text, private: true });
        }
        return steps(r);
      });
      const before = model.requests.length;
      await _s.submit(prompt);
      await model.waitForRequest((r) => r.isTurn && r.text.includes(text), 60_000, before);
      mid.push(wallNow() - t0);
      ctx.log(`claude mid-turn (${engine}) ${i + 1}/${n}`);
    }
    return { idle: idleSamples, midTurn: mid };
  } finally {
    await store.close();
  }
}

/** The figures of this file, or a note why they could not run. */
export async function claudeFigures(ctx: BenchContext): Promise<Result[]> {
  const missing = claudeMissing();
  if (missing) {
    ctx.log(`claude: skipped (${missing})`);
    return [];
  }
  const n = pick(ctx, 1, 10);
  const floorSamples = await floor(ctx, n);
  const floorRes = result("claude-wake-floor", "none", floorSamples, {
    goal: "floor: Claude Code's async Stop hook exiting 2 at once",
  });
  const out: Result[] = [floorRes];
  for (const engine of ["embedded", "redis"] as const) {
    const { idle: idleSamples, midTurn } = await wake(ctx, engine, n);
    const idleRes = result("claude-idle-wake", engine, idleSamples);
    if (engine === "embedded") {
      idleRes.goal = "p50 <= floor + 300 ms";
      idleRes.met = idleRes.median <= floorRes.median + 300;
    }
    idleRes.note += `; floor p50 ${floorRes.median.toFixed(0)} ms`;
    out.push(idleRes);
    out.push(
      result("claude-mid-turn", engine, midTurn, {
        note: `p95 ${percentile(midTurn, 95).toFixed(0)} ms; includes one Read tool call`,
      }),
    );
  }
  return out;
}
