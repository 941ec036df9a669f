/**
 * Scenario "slow": thousands of sends to one agent whose monitor is read slowly
 * (its output pipe fills, so it takes no faster than it is read), with a low
 * AGENT_MESH_MAX_UNREAD. The inbox fills before the monitor starts: sends past
 * the cap must be refused with InboxFullError (and by the CLI with exit 1 and
 * one line), never dropped; every accepted message must be shown once.
 */
import { InboxFullError } from "../lib/errors.ts";
import { loadConfig } from "../lib/config.ts";
import { Mesh } from "../lib/mesh/mesh.ts";
import { MAIN } from "../tests/harness/cli.ts";
import { type ChaosContext, type EngineName, pause, type Row, row, Tally } from "./common.ts";
import { directTexts } from "./listeners.ts";
import { runBounded } from "./proc.ts";

/** A monitor of `name` whose stdout is read one line at a time, `perLineMs` apart. */
function slowMonitor(env: Record<string, string>, name: string, perLineMs: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "monitor", name],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines: string[] = [];
  const reading = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        await pause(perLineMs); // the slow consumer: the pipe backs up behind it
      }
    }
  })();
  return {
    lines,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await reading.catch(() => {});
    },
  };
}

/** Runs the scenario on `engine`. */
export async function slowScenario(ctx: ChaosContext, engine: EngineName): Promise<Row> {
  const attempts = ctx.quick ? 400 : 3000;
  const cap = ctx.quick ? 100 : 500;
  const r = row(`slow consumer, ${attempts} sends, cap ${cap}`, engine);
  const e = await ctx.engine(engine, { AGENT_MESH_MAX_UNREAD: String(cap) });
  const store = await e.open();
  const t = new Tally();
  let monitor: ReturnType<typeof slowMonitor> | null = null;
  try {
    const mesh = new Mesh(store, loadConfig((k) => e.env[k]));
    for (let i = 0; i < attempts; i++) {
      const text = `slow-${i}`;
      try {
        await mesh.send({ from: "alice", to: "bob", text });
        t.sent.push(text);
      } catch (err) {
        if (!(err instanceof InboxFullError)) throw err;
        t.refused++;
        if (!monitor) {
          // Full: the CLI must refuse too, in one line, and the slow monitor starts.
          const cli = await runBounded(e.env, ["send", "bob", "over", "--from", "carol"], 30_000);
          const lines = cli.stderr.trim().split("\n");
          if (cli.code !== 1 || lines.length !== 1 || !/is full/.test(cli.stderr)) {
            r.failures.push(`CLI send into a full inbox: exit ${cli.code}, ${cli.stderr.trim()}`);
          }
          monitor = slowMonitor(e.env, "bob", 2);
        }
        await pause(20); // back off: the consumer is slow
      }
    }
    if (!monitor) r.failures.push(`the inbox never filled at ${cap}`);
    monitor ??= slowMonitor(e.env, "bob", 2);
    const m = monitor;
    const deadline = Date.now() + (ctx.quick ? 30_000 : 90_000);
    while (directTexts(m.lines).length < t.sent.length && Date.now() < deadline) {
      await pause(50); // a poll, bounded by the deadline
    }
  } finally {
    await monitor?.stop();
    await store.close();
  }
  t.shown.push(...directTexts(monitor!.lines));
  ctx.log(`slow ${engine}: ${t.sent.length} sent, ${t.refused} refused at the cap`);
  t.into(r);
  if (t.shown.some((s) => s === "over")) r.failures.push(`a refused CLI send was shown`);
  r.failed = r.failures.length;
  return r;
}
