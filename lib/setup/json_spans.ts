/**
 * Where the members of a JSON object sit in its text, so that one member can be
 * replaced or added while every other byte of the file stays as it was. The text
 * must already have passed `JSON.parse`: nothing here validates.
 */

/** One member of an object, by offsets into the text. */
export interface JsonMember {
  /** The decoded key. */
  key: string;
  /** Offset of the key's opening quote. */
  keyStart: number;
  /** Offset of the value's first character. */
  valueStart: number;
  /** Offset just after the value. */
  valueEnd: number;
}

/** An object: `text.slice(start, end)` runs from its `{` to its `}` included. */
export interface JsonObjectSpan {
  start: number;
  end: number;
  members: JsonMember[];
}

/** The offset of the first character at or after `i` that is not JSON whitespace. */
export function skipWhitespace(text: string, i: number): number {
  while (i < text.length && " \t\r\n".includes(text[i])) i++;
  return i;
}

function stringEnd(text: string, i: number): number {
  i++;
  while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}

function valueEnd(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return stringEnd(text, i);
  if (c === "{" || c === "[") {
    let depth = 0;
    for (;; i++) {
      const ch = text[i];
      if (ch === '"') i = stringEnd(text, i) - 1;
      else if (ch === "{" || ch === "[") depth++;
      else if ((ch === "}" || ch === "]") && --depth === 0) return i + 1;
    }
  }
  while (i < text.length && !" \t\r\n,]}".includes(text[i])) i++; // number, true, false, null
  return i;
}

/** The object whose `{` is at `start` in `text` (valid JSON), with its members in order. */
export function objectAt(text: string, start: number): JsonObjectSpan {
  const members: JsonMember[] = [];
  let i = skipWhitespace(text, start + 1);
  if (text[i] === "}") return { start, end: i + 1, members };
  for (;;) {
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const valueStart = skipWhitespace(text, skipWhitespace(text, keyEnd) + 1);
    const end = valueEnd(text, valueStart);
    members.push({ key, keyStart: i, valueStart, valueEnd: end });
    i = skipWhitespace(text, end);
    if (text[i] !== ",") return { start, end: i + 1, members };
    i = skipWhitespace(text, i + 1);
  }
}

/** The whitespace that starts the line holding offset `i`. */
export function lineIndent(text: string, i: number): string {
  const lineStart = text.lastIndexOf("\n", i - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, i))![0];
}

/** True when offset `i` is the first non-blank character of its line. */
export function startsLine(text: string, i: number): boolean {
  const lineStart = text.lastIndexOf("\n", i - 1) + 1;
  return /^[ \t]*$/.test(text.slice(lineStart, i));
}
