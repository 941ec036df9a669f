import { UsageError } from "../lib/errors.ts";
import { defineCommand } from "./_cli/define.ts";
import { bool, num, obj } from "./_cli/shape.ts";

/** Asks on the terminal; true for "y" or "yes". */
function confirm(question: string): boolean {
  const answer = prompt(`${question} [y/N]`);
  return /^\s*y(es)?\s*$/i.test(answer ?? "");
}

/** `agent-mesh rm NAME`: remove an agent and everything kept for it. */
export default defineCommand({
  name: "rm",
  summary: "remove agent NAME: inbox, registration, states, local files (asks first)",
  args: [{ name: "NAME", type: "name", help: "the agent to remove" }],
  flags: {
    yes: { type: "boolean", short: "y", help: "do not ask (needed when stdin is not a terminal)" },
  },
  output: obj({ inbox: bool, registered: bool, states: num, files: num }),
  async run(ctx) {
    const name = ctx.args.NAME;
    if (!ctx.flags.yes) {
      if (!Deno.stdin.isTerminal()) {
        throw new UsageError(`Refusing to remove "${name}" without --yes: stdin is not a terminal`);
      }
      const what =
        `Remove agent "${name}": its inbox (unread messages are lost), registration, ledger and states?`;
      if (!confirm(what)) {
        ctx.note("nothing removed", false);
        return 1;
      }
    }
    const lib = await ctx.lib();
    const removed = await lib.removeAgent(await ctx.mesh(), name);
    ctx.emit(
      removed,
      removed.inbox || removed.registered || removed.states || removed.files
        ? `removed ${name}: inbox ${removed.inbox ? "deleted" : "absent"}, ${
          removed.registered ? "deregistered" : "not registered"
        }, ${removed.states} state keys, ${removed.files} local files`
        : `nothing to remove for ${name}`,
    );
    return 0;
  },
});
