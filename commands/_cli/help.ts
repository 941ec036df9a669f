/**
 * Every text about the commands, produced from their definitions: the usage
 * line, `help COMMAND`, the main `--help`, and the `help json` page.
 */
import { VERSION } from "../../lib/version.ts";
import type { ArgSpec, Command, FlagSpec } from "./define.ts";
import { ERROR_DOC, EXIT_CODES, TYPE_RULE } from "./errors.ts";
import { describe, namedIn, type Shape } from "./shape.ts";

/** The environment variables, for the main help. */
export const ENVIRONMENT: readonly (readonly [string, string])[] = [
  [
    "AGENT_MESH_REDIS_URL",
    "use Redis at this URL (redis:// or rediss://) instead of the embedded file",
  ],
  ["AGENT_MESH_DB", "the embedded engine's SQLite file (default: $AGENT_MESH_HOME/mesh.db)"],
  ["AGENT_MESH_HOME", "folder of local files (default: ~/.cache/agent-mesh)"],
  ["AGENT_MESH_PREFIX", "key prefix (default: mesh)"],
  ["AGENT_MESH_GATE_LIMIT", "sends per sender->target per 10 s (default: 40)"],
  ["AGENT_MESH_GATE_ENFORCE", "1 to refuse sends over the limit (default: 0, audit only)"],
  ["AGENT_MESH_MAX_BYTES", "largest message in bytes (default: 262144)"],
  [
    "AGENT_MESH_LEASE_S",
    "seconds before a message taken by a crashed listener is given out again (default: 10)",
  ],
  [
    "AGENT_MESH_MAX_UNREAD",
    "most unread messages an inbox holds; a send beyond is refused (default: 10000)",
  ],
  ["AGENT_MESH_HISTORY", "read messages kept per inbox, and of the group stream (default: 2000)"],
  [
    "AGENT_MESH_ESCALATE_TO",
    "who hears of --expect-reply messages never answered (default: watchdog)",
  ],
  ["AGENT_MESH_REPING_S", "seconds between re-pings of an overdue reply (default: 30,60,120,240)"],
  [
    "AGENT_MESH_TOKEN",
    "bearer token serve --http requires (sessions bound to no agent, the dashboard)",
  ],
  [
    "AGENT_MESH_AGENT",
    "who you are: the sender when --from is not given, and the agent of serve without --as",
  ],
];

/** `--from NAME`, `--private`: a flag with its value placeholder. */
export function flagLabel(name: string, spec: FlagSpec): string {
  if (spec.type === "boolean") return `--${name}`;
  return `--${name} ${spec.type === "sender" ? "NAME" : spec.value}`;
}

function argUsage(a: ArgSpec, cmd: Command): string {
  if (a.file !== undefined) {
    const spec = cmd.flags[a.file];
    const alt = `${a.name} | ${spec ? flagLabel(a.file, spec) : `--${a.file}`}`;
    return a.optional ? `[${alt}]` : `(${alt})`;
  }
  return a.optional ? `[${a.name}]` : a.name;
}

/** The complete usage line: `agent-mesh send TARGET (MESSAGE | --file PATH) [--from NAME] …`. */
export function usageLine(cmd: Command): string {
  const fileFlags = new Set(cmd.args.flatMap((a) => (a.file ? [a.file] : [])));
  const words = ["agent-mesh", cmd.name, ...cmd.args.map((a) => argUsage(a, cmd))];
  const flags = Object.entries(cmd.flags).filter(([n]) => !fileFlags.has(n));
  const nested = (name: string) =>
    flags.filter(([n]) => cmd.requires[n] === name).map(([n, s]) => ` [${flagLabel(n, s)}]`)
      .join("");
  for (const [name, spec] of flags) {
    if ("required" in spec && spec.required) words.push(flagLabel(name, spec) + nested(name));
  }
  for (const [name, spec] of flags) {
    if (("required" in spec && spec.required) || cmd.requires[name] !== undefined) continue;
    words.push(`[${flagLabel(name, spec)}${nested(name)}]`);
  }
  return words.join(" ");
}

function sentence(s: string): string {
  return `${s[0].toUpperCase()}${s.slice(1)}.`;
}

function flagNotes(cmd: Command, name: string, spec: FlagSpec): string {
  const notes: string[] = [];
  if ("required" in spec && spec.required) notes.push("required");
  if ("default" in spec && spec.default !== undefined && !/default/.test(spec.help)) {
    notes.push(`default: ${spec.default}`);
  }
  if (cmd.requires[name]) notes.push(`with --${cmd.requires[name]}`);
  for (const c of cmd.conflicts) {
    if (c.flags.includes(name)) notes.push(`not with --${c.with}`);
    if (c.with === name) notes.push(`not with ${c.flags.map((f) => `--${f}`).join(", ")}`);
  }
  return notes.length ? ` [${notes.join("; ")}]` : "";
}

/** Two columns, the second wrapped under itself. */
function columns(rows: [string, string][], indent = "  "): string {
  const width = Math.min(24, Math.max(...rows.map(([l]) => l.length)));
  return rows.map(([label, text]) => {
    const lines = text.split("\n");
    const pad = " ".repeat(indent.length + width + 2);
    const first = label.length > width
      ? `${indent}${label}\n${pad}${lines[0]}`
      : `${indent}${label.padEnd(width)}  ${lines[0]}`;
    return [first, ...lines.slice(1).map((l) => pad + l)].join("\n");
  }).join("\n");
}

/** `agent-mesh help COMMAND`. */
export function commandHelp(cmd: Command): string {
  const parts = [`Usage: ${usageLine(cmd)}`, sentence(cmd.summary)];
  if (cmd.args.length) {
    parts.push(`Arguments:\n${columns(cmd.args.map((a) => [a.name, a.help]))}`);
  }
  const flagRows: [string, string][] = Object.entries(cmd.flags).map(([name, spec]) => [
    spec.short ? `-${spec.short}, ${flagLabel(name, spec)}` : flagLabel(name, spec),
    spec.help + flagNotes(cmd, name, spec),
  ]);
  flagRows.push(["-h, --help", "show this help"]);
  parts.push(`Flags:\n${columns(flagRows)}`);
  if (cmd.description) parts.push(cmd.description);
  const shapes = [...namedIn(cmd.output)].map(([n, s]): [string, string] => [n, describe(s, true)]);
  const json = `--json prints: ${describe(cmd.output)}${
    shapes.length ? `\n${columns(shapes)}` : ""
  }`;
  parts.push(cmd.readOnly ? `Reads only: never writes to the mesh or to files.\n${json}` : json);
  return parts.join("\n\n");
}

/** The main `--help`. */
export function mainHelp(commands: readonly Command[]): string {
  return `agent-mesh ${VERSION}: messaging for AI agents (direct messages, broadcast, ping, request/reply, presence)

Usage: agent-mesh COMMAND [ARGS...] [--json]

Commands:
${columns(commands.map((c) => [c.name, c.summary]))}

Flags:
${columns([["-h, --help", "show this help"], ["-V, --version", "print the version"]])}

Environment:
${columns(ENVIRONMENT.map(([k, v]) => [k, v]))}

Exit codes:
${columns(EXIT_CODES.map(([code, what]) => [String(code), what]))}

Run "agent-mesh help COMMAND" for a command's flags, "agent-mesh help json" for what --json prints.`;
}

/** The named shapes of every command's output, each once. */
export function namedShapes(commands: readonly Command[]): Map<string, Shape> {
  const seen = new Map<string, Shape>();
  for (const c of commands) namedIn(c.output, seen);
  namedIn(ERROR_DOC, seen);
  return seen;
}

/** `agent-mesh help json`: the one JSON schema of the CLI. */
export function jsonHelp(commands: readonly Command[]): string {
  const named = [...namedShapes(commands)].map((
    [n, s],
  ): [string, string] => [n, describe(s, true)]);
  return `With --json, every command prints one JSON document on stdout (monitor: one per line), and
nothing else on stdout. Notes and errors also go to stderr as text.

${TYPE_RULE}

Commands:
${columns(commands.map((c) => [c.name, describe(c.output)]))}

Shapes:
${columns(named)}

An error, whatever the command, is an Error document. Exit codes:
${columns(EXIT_CODES.map(([code, what]) => [String(code), what]))}`;
}
