/**
 * How listen and monitor print messages. Text from the store goes through
 * lib/text, so a line that starts at column 0 was written by agent-mesh: a
 * message's own lines are indented behind "  | " and its control characters
 * escaped, and no message can print a line that passes for another.
 */
import type { Message } from "../lib/mesh/message.ts";
import { block, inline } from "../lib/text/safe_text.ts";

/** `[DIRECT from X] text`, and for a request the command that answers it. */
export function directLines(m: Message, me: string, expired = false): string {
  const line = `[DIRECT from ${inline(m.from)}] ${block(m.text)}`;
  if (!m.reply_to) return line;
  if (expired) {
    return `${line}\n  ↳ request expired: ${inline(m.from)} no longer waits for an answer`;
  }
  return `${line}\n  ↳ request: answer with  agent-mesh reply ${
    inline(m.reply_to)
  } "YOUR ANSWER" --from ${me}`;
}

/** `[GROUP X → Y] text` for a message from X to Y seen on the group stream; Y is `*` for a broadcast. */
export function groupLine(m: Message): string {
  return `[GROUP ${inline(m.from)} → ${inline(m.to ?? "*")}] ${block(m.text)}`;
}

/** HH:MM:SS (local time) of a message's `ts` (Unix seconds), or of now when it has none. */
export function clock(ts?: string): string {
  const seconds = Number(ts);
  const d = ts && Number.isFinite(seconds) ? new Date(seconds * 1000) : new Date();
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0"))
    .join(":");
}
