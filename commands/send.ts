import { printJson, seconds, str } from "./_args.ts";
import { parse } from "./_args.ts";
import { interruptSignal, withMesh } from "./_mesh.ts";
import { sendAndWait, waitTarget } from "../lib/mesh/wait_state.ts";

/** `agent-mesh send TARGET MESSAGE [...]` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [to, text] } = parse("send", argv, {
    from: { type: "string" },
    private: { type: "boolean", short: "p" },
    "expect-reply": { type: "boolean", short: "e" },
    within: { type: "string" },
    wait: { type: "string" },
    timeout: { type: "string" },
    json: { type: "boolean" },
  }, ["TARGET", "MESSAGE"]);
  const withinS = seconds(values.within, "--within", 120);
  const wait = waitTarget(str(values.wait), str(values.timeout));
  const timeoutMs = seconds(values.timeout, "--timeout", 60) * 1000;
  const interrupt = interruptSignal();
  const { result, reached } = await withMesh((mesh) =>
    sendAndWait(mesh, {
      from: str(values.from) ?? "cli",
      to,
      text,
      private: values.private === true,
      expectReply: values["expect-reply"] === true,
      withinS,
    }, wait && { state: wait, timeoutMs, signal: interrupt.signal }), {
    names: { "sender name": str(values.from), "target name": to },
    text,
  }).finally(() => interrupt.dispose());
  if (values.json) printJson(wait ? { ...result, state: reached?.state ?? null } : result);
  else {
    console.log(
      `sent to ${to}${result.verdict === "observe" ? " (over the rate limit: audited)" : ""}${
        reached ? `, ${reached.state}` : ""
      }`,
    );
  }
  if (interrupt.signal.aborted) return 130;
  if (wait && !reached) {
    console.error(`timeout: message ${result.id} not ${wait} within ${timeoutMs / 1000} s`);
    return 1;
  }
  return 0;
}
