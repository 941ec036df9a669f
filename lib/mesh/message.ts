/**
 * Messages as agents see them, and their mapping to and from stream entries with
 * the original's field names.
 */
import type { Fields, StreamEntry } from "../store/port.ts";

/** A message as shown to agents and scripts. */
export interface Message {
  from: string;
  text: string;
  /** The message id (a UUID, or the nonce for a request). */
  id: string;
  /** Unix seconds as a decimal string. */
  ts: string;
  /** For a request: the key to reply to. */
  reply_to?: string;
  /** For group traffic: the original target ("*" for a broadcast). */
  to?: string;
}

/** What an inbox entry is. */
export type InboxEntry =
  | { kind: "ping"; from: string; nonce: string; ts: string }
  | { kind: "message"; message: Message };

/** Reads an inbox or group entry; entries lacking the basic fields are `null`. */
export function parseEntry(entry: StreamEntry): InboxEntry | null {
  const f = entry.fields;
  if (f.msg_type === "ping") {
    if (!f.nonce || !/^[0-9a-f]{32}$/.test(f.nonce)) return null;
    return { kind: "ping", from: f.from ?? "?", nonce: f.nonce, ts: f.ts ?? "" };
  }
  if (f.msg === undefined) return null;
  const message: Message = {
    from: f.from ?? "?",
    text: f.msg,
    id: f.id ?? entry.id,
    ts: f.ts ?? String(Number(entry.id.split("-")[0]) / 1000),
  };
  if (f.reply_to) message.reply_to = f.reply_to;
  if (f.to) message.to = f.to;
  return { kind: "message", message };
}

/** Fields of a message entry, as the original writes them. */
export function messageFields(
  m: { from: string; text: string; id: string; ts: string },
  extra: Fields = {},
): Fields {
  return { from: m.from, msg: m.text, ts: m.ts, id: m.id, ...extra };
}

/** One line for the notify log: `📨 <sender>: <text>` with CR and LF turned into spaces. */
export function notifyLine(m: Message): string {
  return `📨 ${m.from}: ${m.text.replace(/[\r\n]/g, " ")}\n`;
}
