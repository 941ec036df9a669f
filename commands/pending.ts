import { inline } from "../lib/text/safe_text.ts";
import { defineCommand } from "./_cli/define.ts";
import { arr, obj } from "./_cli/shape.ts";
import { PENDING_ENTRY } from "./_shapes.ts";

/** `agent-mesh pending`: the sender's ledger of messages awaiting a reply. */
export default defineCommand({
  name: "pending",
  summary: "list NAME's messages still waiting for a reply",
  args: [{ name: "NAME", type: "name", help: "the sender whose ledger to read" }],
  readOnly: true,
  output: obj({ entries: arr(PENDING_ENTRY) }),
  description: "Reads the local ledger (pending-NAME.jsonl in AGENT_MESH_HOME): no store needed.",
  async run(ctx) {
    const name = ctx.args.NAME;
    const { Ledger } = await ctx.lib();
    const ledger = new Ledger(ctx.config.home, name);
    // Listing takes the ledger's lock file: a ledger that does not exist is not created.
    const entries = ledger.exists() ? await ledger.list() : [];
    if (ctx.json) return ctx.emit({ entries });
    if (entries.length === 0) ctx.print(`no pending entries for ${name}`);
    const now = Date.now() / 1000;
    for (const e of entries) {
      const left = Math.round(e.deadline_ts - now);
      const due = e.escalated ? "escalated" : left >= 0 ? `due in ${left}s` : `overdue ${-left}s`;
      ctx.print(
        `-> ${inline(e.peer)}  ${due}  tries ${e.tries}  ${inline(JSON.stringify(e.note))}`,
      );
    }
  },
});
