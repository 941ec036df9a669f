import { defineCommand } from "./_cli/define.ts";
import { FILE, FROM, messageArg } from "./_common.ts";
import { SENT } from "./_shapes.ts";

/** `agent-mesh broadcast`: a message to everyone on the group stream. */
export default defineCommand({
  name: "broadcast",
  summary: "post a message on the group stream, for every listening agent",
  args: [messageArg()],
  flags: { from: FROM, file: FILE },
  output: SENT,
  async run(ctx) {
    const mesh = await ctx.mesh();
    const result = await mesh.broadcast({ from: ctx.flags.from, text: ctx.args.MESSAGE });
    ctx.emit(result, "broadcast to the group");
  },
});
