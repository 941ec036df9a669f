import { ROLE_MAX } from "../lib/names.ts";
import { inline } from "../lib/text/safe_text.ts";
import { defineCommand } from "./_cli/define.ts";
import { lit, obj } from "./_cli/shape.ts";
import { AGENT } from "./_shapes.ts";

/** `agent-mesh register`: put a name in the registry. */
export default defineCommand({
  name: "register",
  summary: "register NAME in the registry for 180 s",
  args: [{ name: "NAME", type: "name", help: "the agent to register" }],
  flags: {
    role: {
      type: "string",
      value: "TEXT",
      maxLength: ROLE_MAX,
      help: "what this agent does, shown by who",
    },
  },
  output: obj({ ok: lit(true), agent: AGENT }),
  async run(ctx) {
    const name = ctx.args.NAME;
    const { register } = await ctx.lib();
    const agent = await register(await ctx.mesh(), name, ctx.flags.role ?? "");
    ctx.emit(
      { ok: true, agent },
      `registered ${name}${agent.role ? ` (${inline(agent.role)})` : ""}`,
    );
  },
});
