/**
 * Untrusted text (message bodies, sender names and roles read from the store,
 * replies) made safe to print on a terminal or to place in a model's context.
 *
 * Guarantees:
 * - `escapeControls` and `inline` leave no character that a terminal interprets
 *   or that is invisible: C0 controls (CR, BS, ESC, …), DEL, C1 controls,
 *   Unicode format characters (bidi overrides and isolates, zero-width spaces,
 *   the BOM, tag characters; ZWJ alone is kept, emoji need it), line and
 *   paragraph separators and lone surrogates are written as visible escapes
 *   (`\x1b`, `\r`, `\u{202e}`). `escapeControls` keeps LF and tab; `inline`
 *   escapes them too, so its result is one line.
 * - `block` puts every line of a text after the first behind `CONTINUATION`,
 *   so no line of it starts at column 0: when a program prints untrusted text
 *   only through `block` (after a header of its own) or `inline`, every line
 *   that starts at column 0 was written by the program, and no message can
 *   print a line that passes for another message.
 * - `neutralizeFraming` prefixes with a backslash every line that could pass
 *   for framing in a model's context: a line whose first non-blank characters
 *   are `[` and a letter (`[DIRECT from x]`, `[GROUP …]`, `[re-ping]`) or `<`
 *   and a letter, `/`, `!` or `?` (`<channel …>`, `</channel>`), after escaping
 *   as `escapeControls` does. No line of its result starts that way.
 *
 * The escapes are for reading, not for decoding: a literal backslash is left as
 * it is, so `\x1b` typed by a sender looks the same as an escaped ESC. Scripts
 * that need the exact bytes use `--json`.
 */

/** What starts every continuation line of a `block`. */
export const CONTINUATION = "  | ";

/**
 * Characters escaped everywhere: C0 but LF and tab, DEL, C1, format characters
 * (Cf) but ZWJ, line/paragraph separators and lone surrogates.
 */
const UNSAFE = /(?![\n\t])\p{Cc}|(?!\u200d)\p{Cf}|[\u2028\u2029]|\p{Cs}/gu;
/** The same plus LF and tab, for one-line fields. */
const UNSAFE_INLINE = new RegExp(`[\\n\\t]|${UNSAFE.source}`, "gu");

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
}

/** `text` with every unsafe character escaped visibly; LF and tab are kept. CRLF becomes LF. */
export function escapeControls(text: string): string {
  return text.replace(/\r\n/g, "\n").replace(UNSAFE, escapeChar);
}

/** `text` as one safe line: like `escapeControls`, and LF and tab escaped as `\n` and `\t`. */
export function inline(text: string): string {
  return text.replace(/\r\n/g, "\n").replace(UNSAFE_INLINE, escapeChar);
}

/**
 * `text` made safe, its second and later lines each behind `prefix`
 * (`CONTINUATION` by default): print it right after a header of your own.
 */
export function block(text: string, prefix = CONTINUATION): string {
  return escapeControls(text).split("\n").join(`\n${prefix}`);
}

/** A line that could pass for framing in a model's context: `[` or `<` then a letter, `/`, `!` or `?`. */
const FRAMING = /^(\s*)(\[[A-Za-z]|<[A-Za-z/!?])/;

/**
 * `text` safe for a model's context: escaped as by `escapeControls`, and every
 * line that looks like framing (`[DIRECT from x]`, `[GROUP …]`, `<channel …>`,
 * `</channel>`) gets a leading backslash, so it reads as quoted text.
 */
export function neutralizeFraming(text: string): string {
  return escapeControls(text)
    .split("\n")
    .map((line) => line.replace(FRAMING, "$1\\$2"))
    .join("\n");
}

/** Code points drawn two columns wide by terminals (East Asian wide and emoji). */
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;
/** Code points that take no column of their own (combining marks, ZWJ, variation selectors). */
const ZERO = /[\p{Mn}\p{Me}\u200d\ufe00-\ufe0f]/u;

/** Columns `text` takes on a terminal (an estimate good enough to align tables). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const c of text) width += ZERO.test(c) ? 0 : WIDE.test(c) ? 2 : 1;
  return width;
}

/** `text` padded with spaces to `width` columns. */
export function padColumns(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}
