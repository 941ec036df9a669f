/** How commands print messages, as the original did, plus the reply hint it lacked. */
import type { Message } from "../lib/mesh/message.ts";

/** `[DIRECT from X] text`, and for a request the command that answers it. */
export function directLines(m: Message, me: string): string {
  const line = `[DIRECT from ${m.from}] ${m.text}`;
  if (!m.reply_to) return line;
  return `${line}\n  ↳ request: answer with  agent-mesh reply ${m.reply_to} "YOUR ANSWER" --from ${me}`;
}

/** `[GROUP from X] text` */
export function groupLine(m: Message): string {
  return `[GROUP from ${m.from}] ${m.text}`;
}
