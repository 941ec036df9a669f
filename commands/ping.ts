import { inline } from "../lib/text/safe_text.ts";
import { defineCommand } from "./_cli/define.ts";
import { bool, named, num, obj, str } from "./_cli/shape.ts";
import { checkTarget, FROM, STRICT } from "./_common.ts";

/** `agent-mesh ping`: is anyone listening for TARGET? */
export default defineCommand({
  name: "ping",
  summary: "ping an agent and measure the round trip",
  args: [{ name: "TARGET", type: "name", help: "the agent to ping" }],
  flags: {
    from: FROM,
    timeout: {
      type: "number",
      value: "SECONDS",
      unit: "seconds",
      min: 0,
      default: 5,
      help: "how long to wait for the pong; exit 1 when none comes",
    },
    strict: STRICT,
  },
  output: named("Pong", obj({ ok: bool, "latency_ms?": num, "from?": str })),
  description: "Any listen or monitor of TARGET answers, without ending.",
  async run(ctx) {
    const to = ctx.args.TARGET;
    const { timeout } = ctx.flags;
    const mesh = await ctx.mesh();
    await checkTarget(ctx, mesh, to, ctx.flags.strict);
    const signal = ctx.signal;
    ctx.waiting(`up to ${timeout}s for a pong from ${to}`);
    const result = await mesh.ping({ from: ctx.flags.from, to, timeoutMs: timeout * 1000, signal });
    if (signal.aborted) return; // reported as interrupted: no pong, but no timeout either
    if (result.ok) {
      ctx.emit(result, `pong from ${inline(result.from ?? "?")} in ${result.latency_ms}ms`);
      return 0;
    }
    ctx.emit(result);
    ctx.note(`timeout: no pong from ${to} within ${timeout}s`, false);
    return 1;
  },
});
