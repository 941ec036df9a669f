/**
 * Scenario "listeners": 16 sender processes send to one name while listeners of
 * that name are SIGKILLed at seeded moments: right after a take (the `after-take`
 * fault point: the lease hands the message on), or after a monitor showed 1-3
 * messages (maybe between showing and acknowledging: the documented case, the
 * last text it showed counted apart). Then plain listeners drain what is left.
 */
import { type Background, spawnCli } from "../tests/harness/cli.ts";
import {
  between,
  type ChaosContext,
  type EngineName,
  pause,
  type Row,
  row,
  seeded,
  Tally,
} from "./common.ts";
import { drain, runBounded } from "./proc.ts";

const LEASE = { AGENT_MESH_LEASE_S: "1" };

/** Texts of the DIRECT lines of `listen` or `monitor` output. */
export function directTexts(lines: string[]): string[] {
  return lines.flatMap((l) => {
    // A monitor line starts with its time (HH:MM:SS); a listen line does not.
    const m = /^(?:\d\d:\d\d:\d\d )?\[DIRECT from [^\]]+\] (.*)$/.exec(l);
    return m ? [m[1]] : [];
  });
}

/** Waits until `bg` showed `n` DIRECT lines, ended, or `ms` passed. */
async function shownAtLeast(bg: Background, n: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let ended = false;
  bg.done().then(() => ended = true);
  while (directTexts(bg.stdout).length < n && !ended && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20)); // a poll, bounded by the condition
  }
}

async function listenerRound(
  env: Record<string, string>,
  rand: () => number,
  t: Tally,
): Promise<void> {
  const p = rand();
  if (p < 0.35) {
    const bg = spawnCli({ ...env, AGENT_MESH_FAULT: "after-take" }, [
      "listen",
      "bob",
      "--json",
      "--timeout",
      "3",
    ]);
    const hit = await bg.waitFor(/^agent-mesh fault: after-take$/, 15_000).catch(() => null);
    if (hit) {
      bg.kill("SIGKILL");
      t.kills++;
    } else bg.kill("SIGKILL");
    const r = await bg.done();
    if (!hit && r.stdout.trim()) {
      const msg = JSON.parse(r.stdout).message;
      if (msg) t.shown.push(msg.text);
    }
    return;
  }
  if (p < 0.7) {
    const bg = spawnCli(env, ["monitor", "bob"]);
    const ready = await bg.waitFor(/^monitoring bob/, 15_000).catch(() => null);
    if (ready) await shownAtLeast(bg, 1 + Math.floor(rand() * 3), 4000);
    bg.kill("SIGKILL");
    t.kills++;
    await bg.done();
    const texts = directTexts(bg.stdout);
    t.shown.push(...texts);
    if (texts.length) t.atRisk.add(texts.at(-1)!);
    return;
  }
  const r = await runBounded(env, ["listen", "bob", "--json", "--timeout", "2"], 20_000);
  if (r.code !== 0) throw new Error(`listen failed (exit ${r.code}): ${r.stderr.trim()}`);
  const msg = JSON.parse(r.stdout).message;
  if (msg) t.shown.push(msg.text);
}

/** Runs the scenario on `engine`. */
export async function listenersScenario(ctx: ChaosContext, engine: EngineName): Promise<Row> {
  const senders = ctx.quick ? 8 : 16;
  const perSender = ctx.quick ? 2 : 8;
  const r = row(`listeners killed, ${senders} senders`, engine);
  const e = await ctx.engine(engine, LEASE);
  const rand = seeded(ctx.seed);
  const t = new Tally();
  let sending = true;
  const sends = Promise.all(
    Array.from({ length: senders }, async (_, i) => {
      for (let j = 0; j < perSender; j++) {
        const text = `s${i}-${j}`;
        await pause(between(rand, 0, 600)); // spread the sends over more listener rounds
        const res = await runBounded(e.env, ["send", "bob", text, "--from", `s${i}`], 30_000);
        if (res.code === 0) t.sent.push(text);
        else {
          t.refused++;
          r.failures.push(`send ${text} failed (exit ${res.code}): ${res.stderr.trim()}`);
        }
      }
    }),
  ).finally(() => sending = false);
  let rounds = 0;
  // Bounded: senders end within their deadlines; the round cap is a second guard.
  while (sending && rounds++ < 500) await listenerRound(e.env, rand, t);
  await sends;
  t.shown.push(...await drain(e.env));
  ctx.log(`listeners ${engine}: ${t.sent.length} sent, ${t.kills} kills, ${rounds} rounds`);
  t.into(r);
  const strange = t.shown.filter((s) => !t.sent.includes(s));
  if (strange.length) r.failures.push(`shown but never sent: ${strange.join(", ")}`);
  r.failed = r.failures.length;
  return r;
}
