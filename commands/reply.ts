import { parse, printJson, str } from "./_args.ts";
import { withMesh } from "./_mesh.ts";

/** `agent-mesh reply REPLY_KEY TEXT [--from NAME]` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [replyTo, text] } = parse("reply", argv, {
    from: { type: "string" },
    json: { type: "boolean" },
  }, ["REPLY_KEY", "TEXT"]);
  const result = await withMesh(
    (mesh) => mesh.reply({ from: str(values.from) ?? "cli", replyTo, text }),
    {
      names: { "sender name": str(values.from) },
      text,
      replyKey: replyTo,
    },
  );
  if (values.json) printJson(result);
  else console.log("reply sent");
  return 0;
}
