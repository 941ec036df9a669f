import { defineCommand } from "./_cli/define.ts";
import { lit, obj } from "./_cli/shape.ts";
import { FILE, FROM, messageArg } from "./_common.ts";

/** `agent-mesh reply`: the answer to a request. */
export default defineCommand({
  name: "reply",
  summary: "answer a request, with the key shown by listen",
  args: [
    {
      name: "REPLY_KEY",
      help: "the key shown with the request: mesh:reply:<32 hex characters>",
    },
    messageArg("TEXT"),
  ],
  flags: { from: FROM, file: FILE },
  output: obj({ ok: lit(true) }),
  async run(ctx) {
    const { REPLY_KEY: replyTo, TEXT: text } = ctx.args;
    // The key is checked before the store is opened: a bad one writes nothing.
    const { Keys, checkReplyKey } = await ctx.lib();
    checkReplyKey(new Keys(ctx.config.prefix), replyTo);
    const mesh = await ctx.mesh();
    const result = await mesh.reply({ from: ctx.flags.from, replyTo, text });
    ctx.emit(result, "reply sent");
  },
});
