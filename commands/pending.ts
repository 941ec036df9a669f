import { UsageError } from "../lib/errors.ts";
import { checkName } from "../lib/names.ts";
import { inline } from "../lib/text/safe_text.ts";
import { ANONYMOUS, defineCommand } from "./_cli/define.ts";
import { arr, num, obj } from "./_cli/shape.ts";
import { FROM } from "./_common.ts";
import { PENDING_ENTRY } from "./_shapes.ts";

/** `agent-mesh pending`: the sender's ledger of messages awaiting a reply, and its upkeep. */
export default defineCommand({
  name: "pending",
  summary: "list NAME's messages still waiting for a reply; cancel ID or clear PEER drops some",
  args: [
    { name: "NAME", help: 'the sender whose ledger to read, or "cancel" / "clear"' },
    {
      name: "WHAT",
      optional: true,
      help: "after cancel: the entry id (pending --json shows it); after clear: the peer",
    },
  ],
  flags: { from: FROM },
  output: obj({ "entries?": arr(PENDING_ENTRY), "removed?": num }),
  description: "pending NAME lists; pending cancel ID and pending clear PEER drop the sender's\n" +
    "(--from, else $AGENT_MESH_AGENT) entries without messaging anyone (ack PEER TEXT\n" +
    "clears and tells the peer). Reads and writes the local ledger\n" +
    "(pending-NAME.jsonl in AGENT_MESH_HOME): no store needed.",
  async run(ctx) {
    const { NAME: first, WHAT: what } = ctx.args;
    const { Ledger } = await ctx.lib();
    if (what !== undefined) {
      if (first !== "cancel" && first !== "clear") {
        throw new UsageError(
          `Unexpected argument "${what}" (usage: pending NAME | pending cancel ID | pending clear PEER)`,
        );
      }
      const sender = ctx.flags.from;
      if (sender === ANONYMOUS) {
        throw new UsageError(
          `Whose ledger? Give --from NAME or set AGENT_MESH_AGENT (the anonymous "${ANONYMOUS}" has none)`,
        );
      }
      const ledger = new Ledger(ctx.config.home, sender);
      let removed = 0;
      if (first === "clear") {
        checkName(what, "peer name");
        removed = ledger.exists() ? await ledger.removePeer(what) : 0;
      } else {
        removed = ledger.exists()
          ? await ledger.update((entries) => {
            const kept = entries.filter((e) => e.id !== what && e.msg_id !== what);
            return {
              entries: kept,
              result: entries.length - kept.length,
              write: kept.length !== entries.length,
            };
          })
          : 0;
        if (removed === 0) {
          throw new UsageError(
            `No pending entry "${what}" for ${sender} (see "agent-mesh pending ${sender} --json")`,
          );
        }
      }
      ctx.emit(
        { removed },
        `${removed} pending entr${removed === 1 ? "y" : "ies"} of ${sender} dropped`,
      );
      return 0;
    }
    const name = checkName(first);
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
        `-> ${inline(e.peer)}  ${due}  tries ${e.tries}  ${
          inline(JSON.stringify(e.note))
        }  id ${e.id}`,
      );
    }
    return 0;
  },
});
