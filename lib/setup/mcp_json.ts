/**
 * The `agent-mesh` entry of an MCP configuration file (`.mcp.json` or
 * `~/.claude.json`, both `{"mcpServers": {...}}`): building the entry, and the new
 * text of a file with the entry set. Only the entry's bytes change; every other
 * key keeps its exact text.
 */
import { UsageError } from "../errors.ts";
import { lineIndent, objectAt, skipWhitespace, startsLine } from "./json_spans.ts";

/** The name of the server entry under `mcpServers`. */
export const SERVER_NAME = "agent-mesh";

/** The environment variables that choose the mesh, passed on to the server. */
export const ENGINE_ENV = [
  "AGENT_MESH_REDIS_URL",
  "AGENT_MESH_DB",
  "AGENT_MESH_PREFIX",
  "AGENT_MESH_HOME",
] as const;

/** A server Claude Code starts itself, over stdio. */
export interface StdioEntry {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** A server that is already running, reached over HTTP. */
export interface HttpEntry {
  type: "http";
  url: string;
}

/** What goes under `mcpServers["agent-mesh"]`. */
export type McpEntry = StdioEntry | HttpEntry;

/** A configuration file that cannot be updated; the message names no file. */
export class BadConfigFile extends Error {}

/** The stdio entry running `self` as `serve --as NAME [--role TEXT]`, with `env` when not empty. */
export function stdioEntry(
  self: { command: string; args: string[] },
  name: string,
  role: string | undefined,
  env: Record<string, string>,
  channels = false,
): StdioEntry {
  const args = [
    ...self.args,
    "serve",
    "--as",
    name,
    ...(role ? ["--role", role] : []),
    ...(channels ? ["--channels"] : []),
  ];
  return Object.keys(env).length > 0
    ? { command: self.command, args, env }
    : { command: self.command, args };
}

/**
 * `raw` with the query parameter `as=NAME` (replacing any `as` already there),
 * keeping the rest of the query as written. Not an http(s) URL: UsageError.
 */
export function httpUrl(raw: string, name: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`Invalid --http "${raw}": not a URL`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw new UsageError(`Invalid --http "${raw}": expected an http:// or https:// URL`);
  }
  const kept = url.search.slice(1).split("&").filter((pair) => {
    if (pair === "") return false;
    const key = pair.split("=")[0].replace(/\+/g, " ");
    try {
      return decodeURIComponent(key) !== "as";
    } catch {
      return true; // a malformed escape is not "as"
    }
  });
  url.search = `?${[...kept, `as=${encodeURIComponent(name)}`].join("&")}`;
  return url.href;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values; key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length &&
      a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length &&
      ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return a === b;
}

function parseReason(err: unknown): string {
  const msg = (err as Error).message ?? String(err);
  // V8 quotes a piece of the file after the reason; leave the file's content out of messages.
  return msg.replace(/,\s*".*" is not valid JSON$/s, "").replace(/ in JSON at position \d+/, "");
}

/** Parses `text` as an MCP configuration; throws BadConfigFile when it cannot be one. */
export function parseConfig(text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    throw new BadConfigFile(`not valid JSON (${parseReason(err)})`);
  }
  if (!isObject(doc)) throw new BadConfigFile("not a JSON object");
  if (Object.hasOwn(doc, "mcpServers") && !isObject(doc.mcpServers)) {
    throw new BadConfigFile('"mcpServers" is not an object');
  }
  return doc;
}

interface Layout {
  eol: string;
  unit: string;
  compact: boolean;
}

function pretty(value: unknown, indent: string, layout: Layout): string {
  if (layout.compact) return JSON.stringify(value);
  return JSON.stringify(value, null, layout.unit).replace(/\n/g, layout.eol + indent);
}

function member(key: string, value: unknown, indent: string, layout: Layout): string {
  return `${JSON.stringify(key)}:${layout.compact ? "" : " "}${pretty(value, indent, layout)}`;
}

/** `text` with `key: value` added as the last member of the object `obj` (which lacks `key`). */
function addMember(
  text: string,
  obj: ReturnType<typeof objectAt>,
  key: string,
  value: unknown,
  layout: Layout,
): string {
  const last = obj.members.at(-1);
  if (last) {
    const indent = startsLine(text, last.keyStart)
      ? lineIndent(text, last.keyStart)
      : lineIndent(text, obj.start) + layout.unit;
    const sep = layout.compact ? "," : `,${layout.eol}${indent}`;
    return text.slice(0, last.valueEnd) + sep + member(key, value, indent, layout) +
      text.slice(last.valueEnd);
  }
  const outer = lineIndent(text, obj.start);
  const body = layout.compact
    ? `{${member(key, value, "", layout)}}`
    : `{${layout.eol}${outer}${layout.unit}${
      member(key, value, outer + layout.unit, layout)
    }${layout.eol}${outer}}`;
  return text.slice(0, obj.start) + body + text.slice(obj.end);
}

/** The text of a new configuration file holding only `entry`. */
export function newConfigText(entry: McpEntry): string {
  return `${JSON.stringify({ mcpServers: { [SERVER_NAME]: entry } }, null, 2)}\n`;
}

/**
 * The text of the configuration file `old` (undefined: no file yet) with
 * `mcpServers["agent-mesh"]` set to `entry`. Returns `old` itself when the entry
 * is already equal to `entry`. Throws BadConfigFile when `old` is not usable.
 */
export function setServerEntry(old: string | undefined, entry: McpEntry): string {
  if (old === undefined || old.trim() === "") return newConfigText(entry);
  parseConfig(old);
  return setJsonPath(old, ["mcpServers", SERVER_NAME], entry);
}

function nested(path: string[], value: unknown): unknown {
  return path.reduceRight((v, key) => ({ [key]: v }), value);
}

/**
 * The JSON object text `old` (undefined or blank: a new file) with the member at
 * `path` set to `value`, creating the objects on the way; every other byte stays
 * as it was, and `old` itself is returned when the value is already equal.
 * Throws BadConfigFile when `old`, or an object on the way, is not an object.
 */
export function setJsonPath(old: string | undefined, path: string[], value: unknown): string {
  if (old === undefined || old.trim() === "") {
    return `${JSON.stringify(nested(path, value), null, 2)}\n`;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(old.replace(/^\uFEFF/, ""));
  } catch (err) {
    throw new BadConfigFile(`not valid JSON (${parseReason(err)})`);
  }
  let cursor = doc;
  for (const [i, key] of path.entries()) {
    if (!isObject(cursor)) {
      throw new BadConfigFile(
        i === 0 ? "not a JSON object" : `"${path.slice(0, i).join(".")}" is not an object`,
      );
    }
    if (!Object.hasOwn(cursor, key)) break;
    if (i === path.length - 1 && jsonEqual(cursor[key], value)) return old;
    cursor = cursor[key];
  }
  let obj = objectAt(old, skipWhitespace(old, old.startsWith("\uFEFF") ? 1 : 0));
  const first = obj.members[0];
  const rootText = old.slice(obj.start, obj.end);
  const layout: Layout = {
    eol: old.includes("\r\n") ? "\r\n" : "\n",
    unit: (first && startsLine(old, first.keyStart) && lineIndent(old, first.keyStart)) || "  ",
    // A file written on one line (minified) stays on one line.
    compact: obj.members.length > 0 && !rootText.includes("\n"),
  };
  for (const [i, key] of path.entries()) {
    // JSON.parse keeps the last of duplicate keys, so that is the one to change.
    const found = obj.members.findLast((m) => m.key === key);
    if (!found) return addMember(old, obj, key, nested(path.slice(i + 1), value), layout);
    if (i === path.length - 1) {
      return old.slice(0, found.valueStart) +
        pretty(value, lineIndent(old, found.keyStart), layout) +
        old.slice(found.valueEnd);
    }
    obj = objectAt(old, found.valueStart);
  }
  return old;
}
