/**
 * Text lines of the read-only views (`status`, `history`, `tail`): times, the
 * arrow between sender and receiver, and message text made safe for a terminal.
 */
import { block, inline } from "../text/safe_text.ts";
import type { Message } from "./message.ts";
import type { MeshEvent, MessageStatus, StateMark, TrafficKind } from "./states.ts";

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

/** Local date and time of a Unix-seconds string: `YYYY-MM-DD HH:MM:SS`, or `?`. */
export function dateTime(ts: string): string {
  const n = Number(ts);
  if (!ts || !Number.isFinite(n)) return "?";
  const d = new Date(n * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(ts)}`;
}

/** Local time of a Unix-seconds string: `HH:MM:SS`, or `?`. */
export function clock(ts: string): string {
  const n = Number(ts);
  if (!ts || !Number.isFinite(n)) return "?";
  const d = new Date(n * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `alice → bob`, with `*` shown as `everyone`. */
export function route(from: string, to: string): string {
  return `${inline(from)} → ${to === "*" ? "everyone" : inline(to)}`;
}

function byWhom(mark: StateMark): string {
  if (!mark.reader) return "";
  return ` by ${inline(mark.reader)}${mark.session ? ` (session ${inline(mark.session)})` : ""}`;
}

/** The lines of `agent-mesh status ID`. */
export function statusLines(s: MessageStatus): string[] {
  const lines = [
    `id:     ${s.id}`,
    `route:  ${route(s.from, s.to)} (${s.kind})`,
    `state:  ${s.state}`,
  ];
  for (const [state, mark] of Object.entries(s.marks)) {
    if (mark) lines.push(`  ${state.padEnd(10)} ${dateTime(mark.ts)}${byWhom(mark)}`);
  }
  lines.push(`text:   ${block(s.text, "        ")}`);
  return lines;
}

/** One message of `agent-mesh history`: time, route, kind, state, text (indented when long). */
export function historyLine(m: Message, to: string, state: string): string {
  const kind: TrafficKind = m.reply_to ? "request" : m.to === "*" ? "group" : "direct";
  const head = `${dateTime(m.ts)}  ${route(m.from, m.to ?? to)}  ${kind}  ${state}`;
  return `${head}  ${block(m.text)}`;
}

/** One event of `agent-mesh tail`. */
export function eventLine(e: MeshEvent): string {
  const time = clock(e.ts);
  if (e.event === "sent") {
    const text = e.kind === "ping" ? "" : `  ${block(e.text ?? "")}`;
    return `${time}  ${route(e.from, e.to)}  ${e.kind}${text}`;
  }
  const who = byWhom({ ts: e.ts, reader: e.reader, session: e.session });
  return `${time}  ${route(e.from, e.to)}  ${e.kind} ${e.id.slice(0, 8)} ${e.event}${who}`;
}
