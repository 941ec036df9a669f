import { MeshError, UsageError } from "../lib/errors.ts";
import { checkName } from "../lib/names.ts";
import { defineCommand } from "./_cli/define.ts";
import { arr, lit, num, obj, str } from "./_cli/shape.ts";

/** `agent-mesh token create NAME | token list | token revoke NAME`: per-agent credentials. */
export default defineCommand({
  name: "token",
  summary:
    "create, list or revoke an agent's token for serve --http (create NAME, list, revoke NAME)",
  args: [
    { name: "ACTION", choices: ["create", "list", "revoke"], help: "create, list or revoke" },
    { name: "NAME", optional: true, help: "the agent (create, revoke)" },
  ],
  output: obj({
    "agent?": str,
    "token?": str,
    "ok?": lit(true),
    "tokens?": arr(obj({ agent: str, created: num })),
  }),
  description: "A token is printed once; only its SHA-256 is kept (agent-tokens.json in\n" +
    'AGENT_MESH_HOME). While any exists, "serve --http" asks a session opened as\n' +
    'NAME for "Authorization: Bearer <the token of NAME>".',
  async run(ctx) {
    const { ACTION: action, NAME: name } = ctx.args;
    if (action !== "list" && name === undefined) {
      throw new UsageError(`Missing NAME (usage: agent-mesh token ${action} NAME)`);
    }
    if (action === "list" && name !== undefined) {
      throw new UsageError(`Unexpected argument "${name}" (usage: agent-mesh token list [--json])`);
    }
    if (name !== undefined) checkName(name);
    const home = ctx.config.home;
    const tokens = await (await ctx.lib()).loadTokens();
    if (action === "create") {
      const token = await tokens.createToken(home, name!);
      ctx.emit({ agent: name, token }, token);
      ctx.note(
        `token of agent "${name}" created; it is shown only this once (its SHA-256 is kept in ${
          tokens.tokensPath(home)
        }). Agent tokens are now on: "serve --http" asks every session opened as "${name}" for ` +
          `"Authorization: Bearer <token>"`,
      );
      return 0;
    }
    if (action === "revoke") {
      if (!(await tokens.revokeToken(home, name!))) {
        throw new MeshError(`Agent "${name}" has no token (see "agent-mesh token list")`);
      }
      ctx.emit({ ok: true, agent: name }, `revoked the token of ${name}`);
      return 0;
    }
    const list = [...await tokens.readTokens(home)].map(([agent, r]) => ({
      agent,
      created: r.created,
    })).sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0));
    if (ctx.json) return ctx.emit({ tokens: list });
    if (list.length === 0) ctx.print("no agent tokens (agent tokens are off)");
    for (const t of list) {
      ctx.print(`${t.agent}  created ${new Date(t.created * 1000).toISOString()}`);
    }
    return 0;
  },
});
