import { parse, str } from "./_args.ts";
import { loadConfig, userHome } from "../lib/config.ts";
import { UsageError } from "../lib/errors.ts";
import { checkName } from "../lib/names.ts";
import { selfCommand } from "../lib/self.ts";
import {
  LAUNCH_COMMAND,
  MIN_CLAUDE_CODE,
  planClaudeCode,
  type Scope,
} from "../lib/setup/claude_code.ts";
import { httpUrl } from "../lib/setup/mcp_json.ts";
import { aclSetUser, aclUser, freshPassword } from "../lib/setup/redis_acl.ts";
import { statusOf, writeChange } from "../lib/setup/files.ts";
import { unifiedDiff } from "../lib/setup/diff.ts";

const TARGETS = ["claude-code", "redis-acl"];
const ROLE_MAX = 200;

/** `agent-mesh setup claude-code --as NAME [--role TEXT] [--scope project|user] [--http URL] [--dry-run]` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [target, extra] } = parse(
    "setup",
    argv,
    {
      as: { type: "string" },
      role: { type: "string" },
      scope: { type: "string" },
      http: { type: "string" },
      "dry-run": { type: "boolean" },
    },
    ["TARGET"],
    ["NAME"],
  );
  if (!TARGETS.includes(target)) {
    throw new UsageError(`Unknown target "${target}": expected ${TARGETS.join(" or ")}`);
  }
  if (target === "redis-acl") return redisAcl(argv);
  if (extra !== undefined) {
    throw new UsageError(`Unexpected argument "${extra}" (see "agent-mesh help setup")`);
  }
  const name = str(values.as);
  if (name === undefined) throw new UsageError('Missing --as NAME (see "agent-mesh help setup")');
  checkName(name, "--as name");
  const role = str(values.role) || undefined;
  if (role !== undefined && role.length > ROLE_MAX) {
    throw new UsageError(`Invalid --role: use text of at most ${ROLE_MAX} characters`);
  }
  const scope = str(values.scope) ?? "project";
  if (scope !== "project" && scope !== "user") {
    throw new UsageError(`Invalid --scope "${scope}": expected project or user`);
  }
  const http = str(values.http);
  if (http !== undefined) httpUrl(http, name); // checked before any file is read
  else loadConfig(); // the engine settings handed to the server must be usable

  const changes = await planClaudeCode({
    name,
    role,
    scope: scope as Scope,
    http,
    cwd: Deno.cwd(),
    home: () => userHome(),
    self: selfCommand(),
    env: (v) => Deno.env.get(v),
  });
  const dryRun = values["dry-run"] === true;
  if (dryRun) {
    for (const c of changes) {
      const diff = unifiedDiff(c.path, c.before, c.after);
      if (diff) console.log(diff.trimEnd());
    }
  } else {
    for (const c of changes) if (statusOf(c) !== "unchanged") await writeChange(c);
  }
  for (const c of changes) {
    const status = statusOf(c);
    const verb = dryRun && status !== "unchanged" ? `would be ${status}` : status;
    console.log(`${verb}: ${c.path}`);
  }
  if (dryRun) console.log("dry run: nothing written");
  console.log(
    `\nStart Claude Code${
      scope === "project" ? " in this folder" : ""
    } as agent ${name}, with the channel (needs Claude Code v${MIN_CLAUDE_CODE} or later):\n  ${LAUNCH_COMMAND}`,
  );
  if (http !== undefined) {
    console.log(
      `The server must already be running at ${http} ("agent-mesh serve --http"). Claude Code documents ` +
        "channels for servers it starts itself: over HTTP, pushed messages may not be shown; " +
        "mesh_history shows them either way.",
    );
  }
  return 0;
}

/** `agent-mesh setup redis-acl NAME`: prints the Redis ACL user of agent NAME. */
function redisAcl(argv: string[]): number {
  const { positionals: [, name] } = parse("setup", argv, {}, ["TARGET", "NAME"]);
  checkName(name);
  const config = loadConfig();
  const password = freshPassword();
  console.log(aclSetUser(name, config.prefix, password));
  let url = `redis://${aclUser(name)}:${password}@HOST:6379/0`;
  if (config.redisUrl) {
    const u = new URL(config.redisUrl);
    u.username = aclUser(name);
    u.password = password;
    url = u.toString();
  }
  console.error(
    `agent-mesh: run the line above as a Redis admin (Redis 7 or later), for example\n` +
      `  agent-mesh setup redis-acl ${name} | redis-cli -u redis://ADMIN:PASSWORD@HOST:6379\n` +
      `then give agent ${name} (the password is shown only here):\n` +
      `  AGENT_MESH_REDIS_URL=${url}\n` +
      `It lets ${name} take from its own inbox only and write only its own registry entry; ` +
      `what a Redis ACL cannot protect is in the README ("A shared Redis").`,
  );
  return 0;
}
