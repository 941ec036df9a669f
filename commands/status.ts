import { MeshError, UsageError } from "../lib/errors.ts";
import { defineCommand } from "./_cli/define.ts";
import { named, nul, obj, str, union } from "./_cli/shape.ts";

const MARK = union(obj({ ts: str, "reader?": str, "session?": str }), nul);

/** `agent-mesh status ID`: what became of a message. */
export default defineCommand({
  name: "status",
  summary: "show what became of a message: queued, taken, delivered or seen, by whom",
  args: [{ name: "ID", help: "the message id (send --json prints it)" }],
  readOnly: true,
  output: named(
    "Status",
    obj({
      id: str,
      from: str,
      to: str,
      kind: str,
      ts: str,
      text: str,
      state: str,
      marks: obj({ "queued?": MARK, "taken?": MARK, "delivered?": MARK, "seen?": MARK }),
    }),
  ),
  description: "taken: a reader (listen, monitor, mesh_listen, a Claude Code hook) has it;\n" +
    "delivered: it was shown to that reader; seen: the Claude Code session's\n" +
    "transcript holds it, so the model itself has it.",
  async run(ctx) {
    const id = ctx.args.ID;
    const lib = await ctx.lib();
    if (!lib.isMessageId(id)) {
      throw new UsageError(
        `Invalid message id "${id}": expected a UUID or 32 hex characters (as send --json prints)`,
      );
    }
    const found = await lib.status(await ctx.mesh(), id);
    if (!found) {
      throw new MeshError(
        `Unknown message "${id}": no state kept (never sent here, or older than the retention)`,
      );
    }
    ctx.emit(found, lib.statusLines(found).join("\n"));
  },
});
