import { parse, printJson, seconds, str } from "./_args.ts";
import { interruptSignal, withMesh } from "./_mesh.ts";

/** `agent-mesh ping TARGET [--from NAME] [--timeout SECONDS] [--json]` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [to] } = parse("ping", argv, {
    from: { type: "string" },
    timeout: { type: "string" },
    json: { type: "boolean" },
  }, ["TARGET"]);
  const timeoutS = seconds(values.timeout, "--timeout", 5);
  const interrupt = interruptSignal();
  try {
    const result = await withMesh((mesh) =>
      mesh.ping({
        from: str(values.from) ?? "cli",
        to,
        timeoutMs: timeoutS * 1000,
        signal: interrupt.signal,
      }), { names: { "sender name": str(values.from), "target name": to } });
    if (values.json) printJson(result);
    else if (result.ok) console.log(`pong from ${result.from} in ${result.latency_ms}ms`);
    else console.error(`timeout: no pong from ${to} within ${timeoutS}s`);
    return result.ok ? 0 : 1;
  } finally {
    interrupt.dispose();
  }
}
