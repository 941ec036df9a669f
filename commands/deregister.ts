import { defineCommand } from "./_cli/define.ts";
import { bool, lit, obj } from "./_cli/shape.ts";

/** `agent-mesh deregister`: take a name out of the registry. */
export default defineCommand({
  name: "deregister",
  summary: "remove NAME from the registry",
  args: [{ name: "NAME", type: "name", help: "the agent to remove" }],
  output: obj({ ok: lit(true), removed: bool }),
  async run(ctx) {
    const name = ctx.args.NAME;
    const { deregister } = await ctx.lib();
    const removed = await deregister(await ctx.mesh(), name);
    ctx.emit(
      { ok: true, removed },
      removed ? `deregistered ${name}` : `${name} was not registered`,
    );
  },
});
