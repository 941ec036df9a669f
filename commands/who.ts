import { parse, printJson } from "./_args.ts";
import { withMesh } from "./_mesh.ts";
import { who } from "../lib/mesh/presence.ts";

/** `agent-mesh who [--all] [--json]` */
export async function run(argv: string[]): Promise<number> {
  const { values } = parse("who", argv, {
    all: { type: "boolean" },
    json: { type: "boolean" },
  }, []);
  const agents = await withMesh((mesh) => who(mesh, values.all === true));
  if (values.json) {
    printJson({ agents });
    return 0;
  }
  if (agents.length === 0) console.log("no agents registered");
  const width = Math.max(0, ...agents.map((a) => a.agent.length));
  const now = Date.now() / 1000;
  for (const a of agents) {
    const state = a.online === false
      ? "offline"
      : `pid ${a.pid}, seen ${Math.max(0, Math.round(now - a.ts))}s ago`;
    console.log(`${a.agent.padEnd(width)}  ${a.role || "-"}  (${state})`);
  }
  return 0;
}
