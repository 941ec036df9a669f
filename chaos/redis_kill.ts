/**
 * Scenario "redis" (Redis only): sender processes send and listener processes
 * listen while redis-server is SIGKILLed and restarted (its append-only file
 * fsynced on every write, so nothing it acknowledged is gone), or frozen with
 * SIGSTOP and thawed, at seeded moments. A send that failed with an error was
 * refused, not lost; only sends that reported success must arrive. A listen that
 * printed a message and then failed may not have acknowledged it: that message
 * may be shown twice, counted apart.
 */
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

/** Runs the scenario (`engine` is always "redis"). */
export async function redisScenario(ctx: ChaosContext, engine: EngineName): Promise<Row> {
  const redis = ctx.redis!;
  const senders = ctx.quick ? 3 : 6;
  const perSender = ctx.quick ? 8 : 30;
  const r = row("Redis killed (-9) and frozen", engine);
  // A lease longer than the longest freeze (3 s): a reader that cannot acknowledge for longer
  // than its lease is taken for dead and its message given out again (at least once, by design).
  const e = await ctx.engine(engine, { AGENT_MESH_LEASE_S: "5" });
  const rand = seeded(ctx.seed + 3);
  const t = new Tally();
  let sending = true;
  const sends = Promise.all(
    Array.from({ length: senders }, async (_, i) => {
      for (let j = 0; j < perSender; j++) {
        const text = `r${i}-${j}`;
        await pause(between(rand, 50, 500)); // spread the sends over the kills
        const res = await runBounded(e.env, ["send", "bob", text, "--from", `s${i}`], 20_000);
        if (res.code === 0) t.sent.push(text);
        else t.refused++;
      }
    }),
  ).finally(() => sending = false);
  const listeners = Array.from({ length: 2 }, async () => {
    for (let n = 0; sending && n < 1000; n++) {
      const res = await runBounded(e.env, ["listen", "bob", "--json", "--timeout", "1"], 20_000);
      const msg = res.stdout.trim() ? JSON.parse(res.stdout.trim().split("\n")[0]).message : null;
      if (Deno.env.get("CHAOS_DEBUG")) {
        console.error(`listen -> ${msg?.text} exit ${res.code} ${res.stderr.trim()}`);
      }
      if (msg) {
        t.shown.push(msg.text);
        // Shown, then the store went away: its acknowledgement may not have happened.
        if (res.code !== 0) t.atRisk.add(msg.text);
      }
      if (res.code !== 0) await pause(100); // the store is down: do not spin
    }
  });
  let freezes = 0;
  try {
    for (let k = 0; sending && k < 100; k++) {
      await pause(between(rand, 500, 2000));
      if (!sending) break;
      if (Deno.env.get("CHAOS_DEBUG")) console.error(`chaos event ${k}`);
      if (rand() < 0.6) {
        await redis.kill();
        t.kills++;
        await pause(between(rand, 100, 1000));
        await redis.restart();
      } else {
        await redis.freeze();
        freezes++;
        t.kills++;
        await pause(between(rand, 500, 3000));
        redis.thaw();
      }
    }
    await sends;
    await Promise.all(listeners);
  } finally {
    redis.thaw();
  }
  t.shown.push(...await drain(e.env));
  ctx.log(
    `redis: ${t.sent.length} sent, ${t.refused} refused, ${t.kills - freezes} kills, ` +
      `${freezes} freezes`,
  );
  t.into(r);
  r.failed = r.failures.length;
  return r;
}
