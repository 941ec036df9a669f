import { parse, printJson } from "./_args.ts";
import { withMesh } from "./_mesh.ts";
import { UsageError } from "../lib/errors.ts";
import { history } from "../lib/mesh/listen.ts";
import { statuses } from "../lib/mesh/states.ts";
import { historyLine } from "../lib/mesh/view_lines.ts";
import { checkName } from "../lib/names.ts";

/** Most messages one call shows. */
const MAX_LIMIT = 2000;

function limit(raw: string | boolean | undefined): number {
  if (raw === undefined) return 20;
  const n = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) {
    throw new UsageError(
      `Invalid --limit "${raw}": expected a whole number from 1 to ${MAX_LIMIT}`,
    );
  }
  return n;
}

/** `agent-mesh history NAME [--group] [--limit N] [--json]`: read, never taken. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [name] } = parse("history", argv, {
    group: { type: "boolean" },
    limit: { type: "string" },
    json: { type: "boolean" },
  }, ["NAME"]);
  checkName(name);
  const n = limit(values.limit);
  const scope = values.group ? "group" : "inbox";
  const rows = await withMesh(async (mesh) => {
    const messages = await history(mesh, name, scope, n);
    const states = await statuses(mesh, messages.map((m) => m.id));
    return messages.map((m, i) => ({
      ...m,
      to: m.to ?? name,
      state: states[i]?.state ?? null,
      marks: states[i]?.marks,
    }));
  });
  if (values.json) {
    printJson({ messages: rows });
    return 0;
  }
  if (rows.length === 0) {
    console.log(`no messages in ${scope === "group" ? "the group stream" : `${name}'s inbox`}`);
  }
  for (const r of rows) console.log(historyLine(r, name, r.state ?? "-"));
  return 0;
}
