import { parse, printJson } from "./_args.ts";
import { loadConfig } from "../lib/config.ts";
import { MeshError, UsageError } from "../lib/errors.ts";
import { checkName } from "../lib/names.ts";
import { createToken, readTokens, revokeToken, tokensPath } from "../lib/tokens.ts";

const ACTIONS = ["create", "list", "revoke"];

/** `agent-mesh token create NAME | token list [--json] | token revoke NAME` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [action, name] } = parse(
    "token",
    argv,
    {
      json: { type: "boolean" },
    },
    ["ACTION"],
    ["NAME"],
  );
  if (!ACTIONS.includes(action)) {
    throw new UsageError(`Unknown action "${action}": expected ${ACTIONS.join(", ")}`);
  }
  if (action !== "list" && name === undefined) {
    throw new UsageError(`Missing NAME (usage: agent-mesh token ${action} NAME)`);
  }
  if (action === "list" && name !== undefined) {
    throw new UsageError(`Unexpected argument "${name}" (usage: agent-mesh token list [--json])`);
  }
  if (name !== undefined) checkName(name);
  const { home } = loadConfig();

  if (action === "create") {
    const token = await createToken(home, name!);
    if (values.json) printJson({ agent: name, token });
    else console.log(token);
    console.error(
      `agent-mesh: token of agent "${name}" created; it is shown only this once (its SHA-256 is kept in ${
        tokensPath(home)
      }). Agent tokens are now on: "serve --http" asks every session opened as "${name}" for ` +
        `"Authorization: Bearer <token>"`,
    );
    return 0;
  }
  if (action === "revoke") {
    if (!(await revokeToken(home, name!))) {
      throw new MeshError(`Agent "${name}" has no token (see "agent-mesh token list")`);
    }
    if (values.json) printJson({ ok: true, agent: name });
    else console.log(`revoked the token of ${name}`);
    return 0;
  }
  const tokens = await readTokens(home);
  const list = [...tokens].map(([agent, r]) => ({ agent, created: r.created }))
    .sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0));
  if (values.json) {
    printJson({ tokens: list });
    return 0;
  }
  if (list.length === 0) console.log("no agent tokens (agent tokens are off)");
  for (const t of list) {
    console.log(`${t.agent}  created ${new Date(t.created * 1000).toISOString()}`);
  }
  return 0;
}
