import { printJson, seconds, str } from "./_args.ts";
import { parse } from "./_args.ts";
import { withMesh } from "./_mesh.ts";

/** `agent-mesh send TARGET MESSAGE [...]` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [to, text] } = parse("send", argv, {
    from: { type: "string" },
    private: { type: "boolean", short: "p" },
    "expect-reply": { type: "boolean", short: "e" },
    within: { type: "string" },
    json: { type: "boolean" },
  }, ["TARGET", "MESSAGE"]);
  const withinS = seconds(values.within, "--within", 120);
  const result = await withMesh((mesh) =>
    mesh.send({
      from: str(values.from) ?? "cli",
      to,
      text,
      private: values.private === true,
      expectReply: values["expect-reply"] === true,
      withinS,
    }), { names: { "sender name": str(values.from), "target name": to }, text });
  if (values.json) printJson(result);
  else {
    console.log(
      `sent to ${to}${result.verdict === "observe" ? " (over the rate limit: audited)" : ""}`,
    );
  }
  return 0;
}
