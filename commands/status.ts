import { parse, printJson } from "./_args.ts";
import { withMesh } from "./_mesh.ts";
import { MeshError, UsageError } from "../lib/errors.ts";
import { isMessageId, status } from "../lib/mesh/states.ts";
import { statusLines } from "../lib/mesh/view_lines.ts";

/** `agent-mesh status ID [--json]` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [id] } = parse("status", argv, {
    json: { type: "boolean" },
  }, ["ID"]);
  if (!isMessageId(id)) {
    throw new UsageError(
      `Invalid message id "${id}": expected a UUID or 32 hex characters (as send --json prints)`,
    );
  }
  const found = await withMesh((mesh) => status(mesh, id));
  if (!found) {
    throw new MeshError(
      `Unknown message "${id}": no state kept (never sent here, or older than the retention)`,
    );
  }
  if (values.json) printJson(found);
  else console.log(statusLines(found).join("\n"));
  return 0;
}
