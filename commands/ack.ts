import { defineCommand } from "./_cli/define.ts";
import { checkTarget, FILE, FROM, messageArg, STRICT } from "./_common.ts";
import { ACKED } from "./_shapes.ts";

/** `agent-mesh ack`: clears the ledger for a peer and tells it. */
export default defineCommand({
  name: "ack",
  summary: 'clear your pending entries for PEER and send it "ACK: TEXT" privately',
  args: [{ name: "PEER", type: "name", help: "the agent you acknowledge" }, messageArg("TEXT")],
  flags: { from: FROM, file: FILE, strict: STRICT },
  output: ACKED,
  async run(ctx) {
    const { PEER: peer, TEXT: text } = ctx.args;
    const mesh = await ctx.mesh();
    await checkTarget(ctx, mesh, peer, ctx.flags.strict);
    const result = await mesh.ack({ from: ctx.flags.from, peer, text });
    ctx.emit(result, `ACK sent to ${peer} (${result.cleared} pending cleared)`);
  },
});
