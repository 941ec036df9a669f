/**
 * The README's generated sections (the command table and the JSON schema), from
 * the same definitions as the parser and the help. `deno task readme` rewrites
 * them between their markers; a test fails when the README differs.
 */
import type { Command } from "./define.ts";
import { ERROR_DOC, EXIT_CODES, TYPE_RULE } from "./errors.ts";
import { namedShapes, usageLine } from "./help.ts";
import { describe } from "./shape.ts";
import { displayWidth, padColumns } from "../../lib/text/safe_text.ts";

/** A markdown table, padded as `deno fmt` pads it. */
function table(head: string[], rows: string[][]): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(3, ...all.map((r) => displayWidth(r[i]))));
  const line = (r: string[]) => `| ${r.map((c, i) => padColumns(c, widths[i])).join(" | ")} |`;
  return [line(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)]
    .join("\n");
}

/** A paragraph filled to 100 columns, as `deno fmt` fills prose. */
function paragraph(text: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > 100) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join("\n");
}

/** Inline code for a table cell: `|` escaped. */
function code(s: string): string {
  return "`" + s.replaceAll("|", "\\|") + "`";
}

/** The command table. */
export function commandsSection(commands: readonly Command[]): string {
  return table(
    ["command", "usage", "what it does"],
    commands.map((c) => [
      code(c.name),
      code(usageLine(c).replace(/^agent-mesh /, "")),
      `${c.summary}${c.readOnly ? " (reads only)" : ""}`,
    ]),
  );
}

/** The JSON schema. */
export function jsonSection(commands: readonly Command[]): string {
  const shapes = [...namedShapes(commands)];
  return [
    paragraph(
      "With `--json`, every command prints one JSON document on stdout (`monitor`: one per line) " +
        "and nothing else there; notes and errors still go to stderr as text. " +
        TYPE_RULE.replace(/"(\w+)"/g, "`$1`"),
    ),
    "",
    table(
      ["command", "`--json` prints"],
      commands.map((c) => [code(c.name), code(describe(c.output))]),
    ),
    "",
    table(["shape", "fields"], shapes.map(([n, s]) => [code(n), code(describe(s, true))])),
    "",
    `Whatever the command, an error is an \`${describe(ERROR_DOC)}\` document with the exit code:`,
    "",
    table(["exit", "meaning"], EXIT_CODES.map(([c, what]) => [String(c), what])),
  ].join("\n");
}

/** Marker pairs of the generated sections. */
export const SECTIONS = {
  commands: commandsSection,
  json: jsonSection,
} as const;

/** `readme` with every generated section replaced; throws when a marker is missing. */
export function renderReadme(readme: string, commands: readonly Command[]): string {
  let out = readme;
  for (const [name, render] of Object.entries(SECTIONS)) {
    const start = `<!-- generated:${name} (deno task readme) -->`;
    const end = `<!-- /generated:${name} -->`;
    const a = out.indexOf(start);
    const b = out.indexOf(end);
    if (a < 0 || b < a) throw new Error(`README.md lacks the markers ${start} … ${end}`);
    out = `${out.slice(0, a + start.length)}\n\n${render(commands)}\n\n${out.slice(b)}`;
  }
  return out;
}

if (import.meta.main) {
  const { loadAll } = await import("../index.ts");
  const path = new URL("../../README.md", import.meta.url);
  const before = await Deno.readTextFile(path);
  const after = renderReadme(before, await loadAll());
  if (after !== before) await Deno.writeTextFile(path, after);
  console.log(after === before ? "README.md is up to date" : "README.md rewritten");
}
