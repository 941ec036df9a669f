import type { MeshEvent } from "../lib/mesh/states.ts";
import { defineCommand } from "./_cli/define.ts";
import { obj, str } from "./_cli/shape.ts";

/** `agent-mesh tail [NAME]`: live traffic and state changes; takes nothing. */
export default defineCommand({
  name: "tail",
  summary: "follow all traffic (or NAME's) and state changes as they happen; takes nothing",
  args: [{ name: "NAME", type: "name", optional: true, help: "only traffic from or to NAME" }],
  flags: { pings: { type: "boolean", help: "show pings too" } },
  readOnly: true,
  output: obj({ ts: str, type: str, kind: str, id: str, from: str, to: str }),
  description: "Each line: time, sender → receiver, kind (direct, group, request, reply,\n" +
    "ping), and state changes (taken, delivered, seen). Ctrl-C stops (exit 130).",
  async run(ctx) {
    const name = ctx.args.NAME;
    const pings = ctx.flags.pings;
    const shown = (e: MeshEvent) =>
      (pings || e.kind !== "ping") && (!name || e.from === name || e.to === name);
    const mesh = await ctx.mesh();
    const lib = await ctx.lib();
    const signal = ctx.signal;
    let cursor = await lib.eventsCursor(mesh);
    ctx.note(`tailing ${name ? `${name}'s traffic` : "all traffic"} (Ctrl-C stops)`, false);
    while (!signal.aborted) {
      const next = await lib.nextEvents(mesh, cursor, { blockMs: 30_000, signal });
      cursor = next.cursor;
      for (const e of next.events) {
        if (!shown(e)) continue;
        if (ctx.json) ctx.emit(e);
        else ctx.print(lib.eventLine(e));
      }
    }
  },
});
