/**
 * `doctor`'s report as text: a few sections of aligned lines, then one line
 * per problem, starting with PROBLEM and ending with its fix. Every value read
 * from the store or from files is made safe for the terminal.
 */
import { displayWidth, inline, padColumns } from "../text/safe_text.ts";
import type { AgentFacts, DoctorReport } from "./report.ts";

/** `3s`, `4m`, `2h`, `3d`. */
function age(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Rows as aligned columns, indented; the last column is not padded. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => displayWidth(r[i] ?? ""))));
  return rows.map((r) =>
    "  " +
    r.map((cell, i) => (i === r.length - 1 ? cell : padColumns(cell, widths[i]))).join("  ")
      .trimEnd()
  );
}

function receives(a: AgentFacts, now: number): string {
  const parts: string[] = [];
  if (a.receives) {
    const when = Number(a.receives.ts);
    parts.push(
      `${inline(a.receives.reader)}${Number.isFinite(when) ? ` ${age(now - when)} ago` : ""}`,
    );
  } else parts.push("nothing received yet");
  if (a.monitor_pid !== null) parts.push(`monitor here (pid ${a.monitor_pid})`);
  if (a.waiters > 0) {
    parts.push(`${a.waiters} idle Claude Code session${a.waiters === 1 ? "" : "s"} waiting`);
  }
  return parts.join("; ");
}

/** The report as lines of text. */
export function formatReport(r: DoctorReport, now = Date.now() / 1000): string {
  const out: string[] = [`agent-mesh ${r.version} doctor`, "", "Mesh"];
  const status = r.store_status === "no_database" ? "no database yet" : r.store_status;
  out.push(
    ...table([
      ["engine", r.engine],
      [r.engine === "redis" ? "redis" : "database", `${inline(r.store)} (${status})`],
      ["prefix", inline(r.prefix)],
      ["home", inline(r.home)],
      ["escalate to", inline(r.escalate_to)],
    ]),
  );

  out.push("", `Online (${r.agents.length})`);
  if (r.agents.length === 0) {
    out.push(r.store_status === "reachable" ? "  nobody" : "  unknown: the store was not read");
  } else {
    out.push(
      ...table([
        ["NAME", "PID", "SEEN", "RECEIVES (last)"],
        ...r.agents.map((a) => [
          inline(a.agent),
          String(a.pid),
          `${age(now - a.ts)} ago`,
          receives(a, now),
        ]),
      ]),
    );
  }

  out.push("", `Monitors on this host (${r.monitors.length})`);
  if (r.monitors.length === 0) out.push("  none");
  else out.push(...table(r.monitors.map((m) => [inline(m.agent), `pid ${m.pid || "unknown"}`])));

  const c = r.claude_code;
  out.push("", `Claude Code in ${inline(c.folder)}`);
  const s = c.server;
  const hookAgents = [...new Set(c.hooks.map((h) => h.agent ?? "?"))].map(inline).join(", ");
  const hookFiles = [...new Set(c.hooks.map((h) => h.file))].map(inline).join(", ");
  out.push(
    ...table([
      [
        "server",
        s
          ? `${s.transport} ${inline(s.target)} as ${s.agent ? inline(s.agent) : "?"} (${
            inline(s.file)
          }, ${s.scope}${s.approved ? ", approved" : ", NOT approved"})`
          : "none",
      ],
      [
        "hooks",
        c.hooks.length
          ? `${
            [...new Set(c.hooks.map((h) => inline(h.event)))].join(", ")
          } as ${hookAgents} (${hookFiles})`
          : "none",
      ],
      ["CLAUDE.md", c.claude_md ? "has the Agent Mesh section" : "no Agent Mesh section"],
    ]),
  );

  if (r.notes.length) out.push("", "Notes", ...r.notes.map((n) => `  note: ${inline(n)}`));
  out.push("");
  for (const p of r.problems) out.push(`PROBLEM ${inline(p.problem)}; fix: ${inline(p.fix)}`);
  const n = r.problems.length;
  out.push(n === 0 ? "No problems found" : `${n} problem${n === 1 ? "" : "s"} found`);
  return out.join("\n");
}
