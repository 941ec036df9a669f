import { escapeControls } from "../lib/text/safe_text.ts";
import { defineCommand } from "./_cli/define.ts";
import { bool, nullable, obj, str } from "./_cli/shape.ts";
import { checkTarget, FILE, FROM, messageArg, STRICT } from "./_common.ts";

/** `agent-mesh request`: ask and wait for the answer. */
export default defineCommand({
  name: "request",
  summary: "send a request and wait for its reply",
  args: [{ name: "TARGET", type: "name", help: "the agent to ask" }, messageArg()],
  flags: {
    from: FROM,
    timeout: {
      type: "number",
      value: "SECONDS",
      unit: "seconds",
      min: 0,
      default: 180,
      help: "how long to wait for the reply; exit 1 when none comes",
    },
    file: FILE,
    strict: STRICT,
  },
  // The same document as the MCP tool mesh_request (whose `reply` is the original's string).
  output: obj({
    reply: nullable(str),
    reply_from: nullable(str),
    reply_ts: nullable(str),
    unexpected_author: bool,
  }),
  description:
    "Prints the reply's text. The target sees the request with the key that answers it\n" +
    '(agent-mesh reply KEY "ANSWER"); listen and monitor show the exact command.',
  async run(ctx) {
    const { TARGET: to, MESSAGE: text } = ctx.args;
    const { timeout } = ctx.flags;
    const mesh = await ctx.mesh();
    await checkTarget(ctx, mesh, to, ctx.flags.strict);
    const signal = ctx.signal;
    ctx.waiting(`up to ${timeout}s for a reply from ${to}`);
    const { reply } = await mesh.request({
      from: ctx.flags.from,
      to,
      text,
      timeoutMs: timeout * 1000,
      signal,
    });
    if (signal.aborted) return; // reported as interrupted, not as a timeout
    if (reply) {
      // Anyone may write to a reply key: say so when the answer is not from the agent asked.
      const other = reply.from !== to;
      ctx.emit(
        { reply: reply.text, reply_from: reply.from, reply_ts: reply.ts, unexpected_author: other },
        escapeControls(reply.text),
      );
      if (other) {
        ctx.note(`this reply was written by "${reply.from}", not by "${to}" whom you asked`);
      }
      return 0;
    }
    ctx.emit({ reply: null, reply_from: null, reply_ts: null, unexpected_author: false });
    ctx.note("timeout: no reply received", false);
    return 1;
  },
});
