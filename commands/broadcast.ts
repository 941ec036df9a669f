import { parse, printJson, str } from "./_args.ts";
import { UsageError } from "../lib/errors.ts";
import { withMesh } from "./_mesh.ts";

/** `agent-mesh broadcast MESSAGE --from NAME` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [text] } = parse("broadcast", argv, {
    from: { type: "string" },
    json: { type: "boolean" },
  }, ["MESSAGE"]);
  const from = str(values.from);
  if (!from) throw new UsageError('Missing --from NAME (see "agent-mesh help broadcast")');
  const result = await withMesh((mesh) => mesh.broadcast({ from, text }), {
    names: { "sender name": from },
    text,
  });
  if (values.json) printJson(result);
  else console.log("broadcast to the group");
  return 0;
}
