import { parse } from "./_args.ts";
import { interruptSignal, withMesh } from "./_mesh.ts";
import { eventsCursor, type MeshEvent, nextEvents } from "../lib/mesh/states.ts";
import { eventLine } from "../lib/mesh/view_lines.ts";
import { checkName } from "../lib/names.ts";

/** `agent-mesh tail [NAME] [--pings]`: live traffic and state changes, taking nothing. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [name] } = parse(
    "tail",
    argv,
    {
      pings: { type: "boolean" },
    },
    [],
    ["NAME"],
  );
  if (name !== undefined) checkName(name);
  const pings = values.pings === true;
  const shown = (e: MeshEvent) =>
    (pings || e.kind !== "ping") && (!name || e.from === name || e.to === name);
  const interrupt = interruptSignal();
  try {
    await withMesh(async (mesh) => {
      let cursor = await eventsCursor(mesh);
      console.error(`tailing ${name ? `${name}'s traffic` : "all traffic"} (Ctrl-C stops)`);
      while (!interrupt.signal.aborted) {
        const next = await nextEvents(mesh, cursor, { blockMs: 30_000, signal: interrupt.signal });
        cursor = next.cursor;
        for (const e of next.events) if (shown(e)) console.log(eventLine(e));
      }
    });
  } finally {
    interrupt.dispose();
  }
  return 130;
}
