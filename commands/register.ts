import { parse, printJson, str } from "./_args.ts";
import { withMesh } from "./_mesh.ts";
import { register } from "../lib/mesh/presence.ts";
import { checkRole } from "../lib/mesh/validate.ts";

/** `agent-mesh register NAME [--role TEXT]` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [name] } = parse("register", argv, {
    role: { type: "string" },
    json: { type: "boolean" },
  }, ["NAME"]);
  const role = checkRole(str(values.role) ?? ""); // before the store is opened (and created)
  const info = await withMesh((mesh) => register(mesh, name, role), {
    names: { "agent name": name },
  });
  if (values.json) printJson({ ok: true, ...info });
  else console.log(`registered ${name}${info.role ? ` (${info.role})` : ""}`);
  return 0;
}
