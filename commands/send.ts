import { UsageError } from "../lib/errors.ts";
import { ANONYMOUS, defineCommand } from "./_cli/define.ts";
import { checkTarget, FILE, FROM, messageArg, STRICT } from "./_common.ts";
import { SENT_WAITED } from "./_shapes.ts";

/** `agent-mesh send`: a direct message. */
export default defineCommand({
  name: "send",
  summary: "send a message to an agent (echoed on the group stream unless --private)",
  args: [{ name: "TARGET", type: "name", help: "the agent to send to" }, messageArg()],
  flags: {
    from: FROM,
    private: {
      type: "boolean",
      short: "p",
      help: "only the target's inbox, no echo on the group stream",
    },
    "expect-reply": {
      type: "boolean",
      short: "e",
      help:
        "track the message in the sender's pending ledger, to be chased\nby the sender's monitor until the target answers",
    },
    within: {
      type: "number",
      value: "SECONDS",
      unit: "seconds",
      min: 0,
      default: 120,
      help: "reply deadline for --expect-reply",
    },
    wait: {
      type: "string",
      value: "STATE",
      choices: ["taken", "delivered", "seen"],
      help:
        "after sending, wait until the message is taken, delivered (shown to its\nreader) or seen (in a Claude Code session's transcript); exit 1 on timeout",
    },
    timeout: {
      type: "number",
      value: "SECONDS",
      unit: "seconds",
      min: 0,
      default: 60,
      help: "how long --wait waits",
    },
    file: FILE,
    strict: STRICT,
  },
  requires: { timeout: "wait" },
  output: SENT_WAITED,
  async run(ctx) {
    const { TARGET: to, MESSAGE: text } = ctx.args;
    const { from } = ctx.flags;
    const expectReply = ctx.flags["expect-reply"];
    if (expectReply && from === ANONYMOUS) {
      throw new UsageError(
        `Refusing --expect-reply from the anonymous "${ANONYMOUS}": nobody would chase the reply (give --from NAME or set AGENT_MESH_AGENT)`,
      );
    }
    const mesh = await ctx.mesh();
    await checkTarget(ctx, mesh, to, ctx.flags.strict);
    const { sendAndWait } = await ctx.lib();
    const wait = ctx.flags.wait as "taken" | "delivered" | "seen" | undefined;
    const timeoutMs = ctx.flags.timeout * 1000;
    if (wait) ctx.waiting(`up to ${ctx.flags.timeout}s for the message to be ${wait}`);
    const { result, reached } = await sendAndWait(mesh, {
      from,
      to,
      text,
      private: ctx.flags.private,
      expectReply,
      withinS: ctx.flags.within,
    }, wait && { state: wait, timeoutMs, signal: ctx.signal });
    if (ctx.signal.aborted) return 130;
    const audited = result.verdict === "observe" ? " (over the rate limit: audited)" : "";
    ctx.emit(
      wait ? { ...result, state: reached?.state ?? null } : result,
      `sent to ${to}${audited}${reached ? `, ${reached.state}` : ""}`,
    );
    if (wait && !reached) {
      ctx.note(`timeout: message ${result.id} not ${wait} within ${ctx.flags.timeout} s`, false);
      return 1;
    }
    return 0;
  },
});
