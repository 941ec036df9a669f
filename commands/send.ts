import { UsageError } from "../lib/errors.ts";
import { ANONYMOUS, defineCommand } from "./_cli/define.ts";
import { checkTarget, FILE, FROM, messageArg, STRICT } from "./_common.ts";
import { SENT } from "./_shapes.ts";

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
    file: FILE,
    strict: STRICT,
  },
  output: SENT,
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
    const result = await mesh.send({
      from,
      to,
      text,
      private: ctx.flags.private,
      expectReply,
      withinS: ctx.flags.within,
    });
    const audited = result.verdict === "observe" ? " (over the rate limit: audited)" : "";
    ctx.emit(result, `sent to ${to}${audited}`);
  },
});
