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
import { statusOf, writeChange } from "../lib/setup/files.ts";
import { unifiedDiff } from "../lib/setup/diff.ts";

const TARGETS = ["claude-code"];
const ROLE_MAX = 200;

/** `agent-mesh setup claude-code --as NAME [--role TEXT] [--scope project|user] [--http URL] [--dry-run]` */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: [target] } = parse("setup", argv, {
    as: { type: "string" },
    role: { type: "string" },
    scope: { type: "string" },
    http: { type: "string" },
    "dry-run": { type: "boolean" },
    channels: { type: "boolean" },
  }, ["TARGET"]);
  if (!TARGETS.includes(target)) {
    throw new UsageError(`Unknown target "${target}": expected ${TARGETS.join(" or ")}`);
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
    channels: values.channels === true,
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
  const where = scope === "project" ? " in this folder" : "";
  if (values.channels === true) {
    console.log(
      `\nStart Claude Code${where} as agent ${name}. Messages reach it through its hooks on every ` +
        `install; for channel wake-ups too (claude.ai login, Claude Code v${MIN_CLAUDE_CODE} or later):\n  ${LAUNCH_COMMAND}`,
    );
  } else {
    console.log(
      `\nStart Claude Code${where} (just "claude") as agent ${name}: its hooks show it every message ` +
        "and wake it when idle.",
    );
  }
  if (scope === "project" && http === undefined) {
    console.log(
      "Its agent-mesh server is approved for this folder (in ~/.claude.json); Claude Code asks " +
        "once whether you trust the folder itself.",
    );
  }
  if (http !== undefined) {
    console.log(
      `The server must already be running at ${http} ("agent-mesh serve --http").`,
    );
  }
  return 0;
}
