import { parse, printJson } from "./_args.ts";
import { withMesh } from "./_mesh.ts";
import { deregister } from "../lib/mesh/presence.ts";

/** `agent-mesh deregister NAME` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [name] } = parse("deregister", argv, {
    json: { type: "boolean" },
  }, ["NAME"]);
  const existed = await withMesh((mesh) => deregister(mesh, name), {
    names: { "agent name": name },
  });
  if (values.json) printJson({ ok: true, existed });
  else console.log(existed ? `deregistered ${name}` : `${name} was not registered`);
  return 0;
}
