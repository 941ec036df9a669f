import { parse } from "./_args.ts";
import { withMesh } from "./_mesh.ts";
import { UsageError } from "../lib/errors.ts";
import { removeAgent } from "../lib/mesh/remove.ts";
import { checkName } from "../lib/names.ts";

/** Asks on the terminal; true for "y" or "yes". */
function confirm(question: string): boolean {
  const answer = prompt(`${question} [y/N]`);
  return /^\s*y(es)?\s*$/i.test(answer ?? "");
}

/** `agent-mesh rm NAME [--yes]` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [name] } = parse("rm", argv, {
    yes: { type: "boolean", short: "y" },
  }, ["NAME"]);
  checkName(name);
  if (values.yes !== true) {
    if (!Deno.stdin.isTerminal()) {
      throw new UsageError(`Refusing to remove "${name}" without --yes: stdin is not a terminal`);
    }
    const what =
      `Remove agent "${name}": its inbox (unread messages are lost), registration, ledger and states?`;
    if (!confirm(what)) {
      console.error("nothing removed");
      return 1;
    }
  }
  const removed = await withMesh((mesh) => removeAgent(mesh, name));
  console.log(
    removed.inbox || removed.registered || removed.states || removed.files
      ? `removed ${name}: inbox ${removed.inbox ? "deleted" : "absent"}, ${
        removed.registered ? "deregistered" : "not registered"
      }, ${removed.states} state keys, ${removed.files} local files`
      : `nothing to remove for ${name}`,
  );
  return 0;
}
