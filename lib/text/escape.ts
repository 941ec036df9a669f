/**
 * Making untrusted text (message text, names from the store) safe to print on a
 * terminal: no control character reaches it (no colours, cursor moves, clears,
 * bidi overrides), and a multi-line message cannot forge a line of its own.
 *
 * (A stand-in until the CLI's shared escaping function lands: same idea, one place.)
 */

// C0 controls but LF, DEL, C1 controls, and the bidi embedding/override/isolate marks.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNSAFE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

const NAMED: Record<string, string> = { "\t": "\\t", "\r": "\\r", "\x1b": "\\e" };

function escapeChar(c: string): string {
  if (NAMED[c]) return NAMED[c];
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
}

/** `text` with every control character but LF shown as an escape (`\e`, `\x07`, `\u{202e}`). */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** `text` on one line: controls escaped and line breaks shown as `\n`. */
export function safeLine(text: string): string {
  return escapeControls(text).replaceAll("\n", "\\n");
}

/**
 * `text` for a block that starts after a header on the same line: controls
 * escaped, and every following line indented by `indent` (default 4 spaces), so
 * that no line of the message starts where a new message's line would.
 */
export function safeBlock(text: string, indent = "    "): string {
  return escapeControls(text).replaceAll("\n", `\n${indent}`);
}
