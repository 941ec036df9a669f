import { parse, printJson, seconds } from "./_args.ts";
import { interruptSignal, withMesh } from "./_mesh.ts";
import { directLines, groupLine } from "./_show.ts";
import { appendNotify, housekeeping, nextDirect } from "../lib/mesh/listen.ts";
import type { Message } from "../lib/mesh/message.ts";
import { checkName } from "../lib/names.ts";

/** `agent-mesh listen NAME [--timeout SECONDS] [--stealth] [--json]` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [name] } = parse("listen", argv, {
    timeout: { type: "string" },
    stealth: { type: "boolean" },
    json: { type: "boolean" },
  }, ["NAME"]);
  checkName(name);
  const timeoutMs = seconds(values.timeout, "--timeout", 60) * 1000;
  const json = values.json === true;
  const quiet = values.stealth === true || json;
  const group: Message[] = [];
  const interrupt = interruptSignal();
  try {
    await withMesh(async (mesh) => {
      const delivery = await nextDirect(mesh, name, {
        timeoutMs,
        withGroup: true,
        signal: interrupt.signal,
        reader: { kind: "listen" },
        onGroup: (m) => {
          group.push(m);
          if (!quiet) console.log(groupLine(m));
        },
      });
      // Shown first, acknowledged last: a crash in between repeats, never loses.
      if (json) printJson({ message: delivery?.message ?? null, group });
      if (!delivery) {
        await housekeeping(mesh, name);
        return;
      }
      if (!quiet) console.log(directLines(delivery.message, name));
      await appendNotify(mesh, name, delivery.message);
      await delivery.ack();
    });
  } finally {
    interrupt.dispose();
  }
  return 0;
}
