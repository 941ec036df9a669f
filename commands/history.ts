import { defineCommand } from "./_cli/define.ts";
import { arr, named, nullable, obj, str } from "./_cli/shape.ts";

/** `agent-mesh history NAME`: recent messages with their states; takes nothing. */
export default defineCommand({
  name: "history",
  summary: "show NAME's recent messages (or the group's) with their states; takes nothing",
  args: [{ name: "NAME", type: "name", help: "the agent whose inbox to read" }],
  flags: {
    group: { type: "boolean", help: "the group stream instead of NAME's inbox" },
    limit: {
      type: "number",
      value: "N",
      integer: true,
      min: 1,
      max: 2000,
      default: 20,
      help: "how many of the newest messages",
    },
  },
  readOnly: true,
  output: obj({
    messages: arr(named(
      "HistoryMessage",
      obj({
        from: str,
        text: str,
        id: str,
        ts: str,
        to: str,
        "reply_to?": str,
        state: nullable(str),
      }),
    )),
  }),
  description: "Newest last. Reading never takes a message from its inbox.",
  async run(ctx) {
    const name = ctx.args.NAME;
    const scope = ctx.flags.group ? "group" : "inbox";
    const mesh = await ctx.mesh();
    const lib = await ctx.lib();
    const messages = await lib.history(mesh, name, scope, ctx.flags.limit);
    const states = await lib.statuses(mesh, messages.map((m) => m.id));
    const rows = messages.map((m, i) => ({
      ...m,
      to: m.to ?? name,
      state: states[i]?.state ?? null,
      marks: states[i]?.marks,
    }));
    if (ctx.json) return ctx.emit({ messages: rows });
    if (rows.length === 0) {
      ctx.print(`no messages in ${scope === "group" ? "the group stream" : `${name}'s inbox`}`);
    }
    for (const r of rows) ctx.print(lib.historyLine(r, name, r.state ?? "-"));
  },
});
