/**
 * How messages are written into a model's context by the Claude Code hooks.
 *
 * Every message is framed by one header line that only agent-mesh writes
 * (`[agent-mesh] message from NAME · id · time`), and its text follows on lines
 * that all start with `  | `. So no text of a message can start a line of its own:
 * it cannot forge another sender's header, a `<channel>` or `<system-reminder>`
 * tag (tag-like `<` are escaped anyway), nor carry control characters (escaped
 * visibly as `\xNN` / `\u{NNNN}`).
 */
import { NAME_PATTERN } from "../names.ts";
import { escapeControls } from "../text/safe_text.ts";
import type { Message } from "../mesh/message.ts";

/** The prefix of every line of a message's own text. */
export const TEXT_PREFIX = "  | ";

/** `text` with control and invisible characters escaped (the one escaping of lib/text). */
export function escapeUnsafe(text: string): string {
  return escapeControls(text);
}

/** `text` with tag-like `<` and `>` escaped (`<channel`, `</x>`), other text left as is. */
export function escapeTags(text: string): string {
  return text.replace(/<(?=\/?[A-Za-z!?])/g, "&lt;").replace(/(?<=[A-Za-z"'/-])>/g, "&gt;");
}

/** `text` as lines each starting with TEXT_PREFIX. */
export function quoteText(text: string): string {
  return escapeTags(escapeUnsafe(text)).split("\n").map((l) => TEXT_PREFIX + l).join("\n");
}

/** A value from the store shown inline: agent names as they are, anything else JSON-quoted. */
export function inlineName(value: string): string {
  return NAME_PATTERN.test(value) && value.length <= 64
    ? value
    : JSON.stringify(escapeUnsafe(value.slice(0, 80)));
}

/** An id or key shown inline: only characters ids are made of, else JSON-quoted. */
function inlineId(value: string): string {
  return /^[A-Za-z0-9_:.{}-]{1,200}$/.test(value)
    ? value
    : JSON.stringify(escapeUnsafe(value.slice(0, 80)));
}

/** Unix seconds (as the wire writes them) as `YYYY-MM-DD HH:MM:SS UTC`. */
export function timeOf(ts: string): string {
  const ms = Number(ts) * 1000;
  if (!Number.isFinite(ms) || ms <= 0) return "unknown time";
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

/** The exact tool call that answers a request, as the model would write it. */
export function replyCall(replyTo: string): string {
  return `mcp__agent-mesh__mesh_reply with {"reply_to": ${
    JSON.stringify(replyTo)
  }, "text": "<your answer>"}`;
}

/** Options of `frameMessage`. */
export interface FrameOptions {
  /** Most characters of the message's text to show; the rest is left out with a note. */
  maxText?: number;
  /** Reply keys this mesh accepts (a foreign entry's key is shown but flagged). */
  isReplyKey?: (key: string) => boolean;
  /** When the request's asker no longer waits. */
  expired?: boolean;
}

/** One message framed for the model: header, quoted text, and for a request how to answer it. */
export function frameMessage(m: Message, o: FrameOptions = {}): string {
  const kind = m.reply_to ? "request" : "message";
  const head = `[agent-mesh] ${kind} from ${inlineName(m.from)} · id ${inlineId(m.id)} · ${
    timeOf(m.ts)
  }`;
  let text = m.text;
  let cut = "";
  if (o.maxText !== undefined && text.length > o.maxText) {
    cut = `\n[agent-mesh] (text cut at ${o.maxText} of ${text.length} characters: ` +
      `mcp__agent-mesh__mesh_history shows it whole)`;
    text = text.slice(0, o.maxText);
  }
  const lines = [head, quoteText(text) + cut];
  if (m.reply_to) {
    if (o.expired) {
      lines.push(`[agent-mesh] ${inlineName(m.from)} no longer waits for an answer (expired).`);
    } else if (!o.isReplyKey || o.isReplyKey(m.reply_to)) {
      lines.push(
        `[agent-mesh] ${inlineName(m.from)} waits for your answer: call ${replyCall(m.reply_to)}`,
      );
    } else {
      lines.push(`[agent-mesh] the request's reply key ${inlineId(m.reply_to)} is not valid here.`);
    }
  }
  return lines.join("\n");
}
