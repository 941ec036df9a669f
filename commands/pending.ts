import { parse, printJson } from "./_args.ts";
import { loadConfig } from "../lib/config.ts";
import { Ledger } from "../lib/mesh/ledger.ts";
import { checkName } from "../lib/names.ts";

/** `agent-mesh pending NAME [--json]` (reads the local ledger: no store needed) */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [name] } = parse("pending", argv, {
    json: { type: "boolean" },
  }, ["NAME"]);
  checkName(name);
  const entries = await new Ledger(loadConfig().home, name).list();
  if (values.json) {
    printJson({ entries });
    return 0;
  }
  if (entries.length === 0) console.log(`no pending entries for ${name}`);
  const now = Date.now() / 1000;
  for (const e of entries) {
    const left = Math.round(e.deadline_ts - now);
    const due = e.escalated ? "escalated" : left >= 0 ? `due in ${left}s` : `overdue ${-left}s`;
    console.log(`-> ${e.peer}  ${due}  tries ${e.tries}  ${JSON.stringify(e.note)}`);
  }
  return 0;
}
