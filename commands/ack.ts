import { parse, printJson, str } from "./_args.ts";
import { withMesh } from "./_mesh.ts";

/** `agent-mesh ack PEER TEXT [--from NAME]` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [peer, text] } = parse("ack", argv, {
    from: { type: "string" },
    json: { type: "boolean" },
  }, ["PEER", "TEXT"]);
  const result = await withMesh(
    (mesh) => mesh.ack({ from: str(values.from) ?? "cli", peer, text }),
    {
      names: { "sender name": str(values.from), "peer name": peer },
      text: `ACK: ${text}`, // what is sent: checked before the store is opened
    },
  );
  if (values.json) printJson(result);
  else console.log(`ACK sent to ${peer} (${result.cleared} pending cleared)`);
  return 0;
}
