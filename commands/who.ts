import { displayWidth, inline, padColumns } from "../lib/text/safe_text.ts";
import { defineCommand } from "./_cli/define.ts";
import { obj } from "./_cli/shape.ts";
import { AGENTS } from "./_shapes.ts";

/** `3s`, `4m`, `2h`, `3d`. */
function age(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Rows as aligned columns; the last column is not padded. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => displayWidth(r[i]))));
  return rows.map((r) =>
    r.map((cell, i) => (i === r.length - 1 ? cell : padColumns(cell, widths[i]))).join("  ")
      .trimEnd()
  );
}

/** `agent-mesh who`: the registry. */
export default defineCommand({
  name: "who",
  summary: "list registered agents",
  readOnly: true,
  flags: {
    all: {
      type: "boolean",
      help: "also agents with an inbox but no live registration (offline)",
    },
  },
  output: obj({ agents: AGENTS }),
  description: "Prints NAME, LISTENING (how a reader listens right now: monitor, listen, hooks\n" +
    "of an idle Claude Code session, mesh_listen; - when nothing does, the name is only\n" +
    "registered), PID, SEEN (time since the registration was renewed) and ROLE.",
  async run(ctx) {
    const { who } = await ctx.lib();
    const agents = await who(await ctx.mesh(), ctx.flags.all);
    if (ctx.json) return ctx.emit({ agents });
    if (agents.length === 0) return ctx.print("no agents registered");
    const now = Date.now() / 1000;
    const rows = agents.map((a) =>
      a.online === false ? [inline(a.agent), "-", "-", "offline", "-"] : [
        inline(a.agent),
        a.listening ? inline(a.listening) : "-",
        String(a.pid),
        `${age(now - a.ts)} ago`,
        inline(a.role) || "-",
      ]
    );
    for (const line of table([["NAME", "LISTENING", "PID", "SEEN", "ROLE"], ...rows])) {
      ctx.print(line);
    }
  },
});
