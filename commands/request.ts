import { parse, printJson, seconds, str } from "./_args.ts";
import { interruptSignal, withMesh } from "./_mesh.ts";
import { UsageError } from "../lib/errors.ts";

/** `agent-mesh request TARGET MESSAGE --from NAME [--timeout SECONDS] [--json]` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [to, text] } = parse("request", argv, {
    from: { type: "string" },
    timeout: { type: "string" },
    json: { type: "boolean" },
  }, ["TARGET", "MESSAGE"]);
  const from = str(values.from);
  if (!from) throw new UsageError('Missing --from NAME (see "agent-mesh help request")');
  const timeoutS = seconds(values.timeout, "--timeout", 180);
  const interrupt = interruptSignal();
  try {
    const { reply } = await withMesh(
      (mesh) =>
        mesh.request({ from, to, text, timeoutMs: timeoutS * 1000, signal: interrupt.signal }),
      {
        names: { "sender name": from, "target name": to },
        text,
      },
    );
    // Anyone may write to a reply key: say so when the answer is not from the agent asked.
    const other = reply !== null && reply.from !== to;
    if (values.json) printJson({ reply, ...(reply ? { unexpected_author: other } : {}) });
    else if (reply) console.log(reply.text);
    else console.error("timeout: no reply received");
    if (other) {
      console.error(
        `agent-mesh: this reply was written by "${reply.from}", not by "${to}" whom you asked`,
      );
    }
    return reply ? 0 : 1;
  } finally {
    interrupt.dispose();
  }
}
