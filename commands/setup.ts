import { ROLE_MAX } from "../lib/names.ts";
import { UsageError } from "../lib/errors.ts";
import { defineCommand } from "./_cli/define.ts";
import { arr, bool, lit, obj, str } from "./_cli/shape.ts";

/** `agent-mesh setup claude-code`: configure Claude Code as an agent. */
export default defineCommand({
  name: "setup",
  summary: "set up Claude Code to join the mesh as agent NAME: MCP server, hooks, CLAUDE.md",
  args: [
    {
      name: "TARGET",
      choices: ["claude-code", "redis-acl"],
      help: "claude-code (this folder or --scope user), or redis-acl (print a Redis ACL user)",
    },
    { name: "NAME", type: "name", optional: true, help: "redis-acl only: the agent" },
  ],
  flags: {
    as: {
      type: "name",
      value: "NAME",
      help: "the agent Claude Code sessions here act as (claude-code: required)",
    },
    role: {
      type: "string",
      value: "TEXT",
      maxLength: ROLE_MAX,
      help: "what the agent does, shown by who",
    },
    scope: {
      type: "string",
      value: "SCOPE",
      choices: ["project", "user"],
      default: "project",
      help: "project: ./.mcp.json, ./.claude/settings.json and ./CLAUDE.md;\n" +
        "user: ~/.claude.json, ~/.claude/settings.json and ~/.claude/CLAUDE.md",
    },
    http: {
      type: "string",
      value: "URL",
      help:
        'use a server already running at URL ("serve --http"),\nadding ?as=NAME, instead of starting one per session',
    },
    channels: {
      type: "boolean",
      help:
        "also push wake-ups as channel events (claude.ai login and a launch\nflag needed; hooks work without)",
    },
    "dry-run": { type: "boolean", help: "print the changes as a diff and write nothing" },
  },
  output: obj({
    ok: lit(true),
    dry_run: bool,
    changes: arr(obj({ path: str, status: str })),
    launch: str,
  }),
  description: 'Adds the "agent-mesh" MCP server (this program, "serve --as NAME", with the\n' +
    "AGENT_MESH_REDIS_URL, AGENT_MESH_DB, AGENT_MESH_PREFIX and AGENT_MESH_HOME set\n" +
    "now), the hooks that show NAME's messages to the model and wake an idle session\n" +
    '("agent-mesh hook EVENT --as NAME"), and an "## Agent Mesh" section in CLAUDE.md;\n' +
    "for a project, .claude/settings.json also approves the server. Other\n" +
    "servers, hooks and sections are kept, and a changed file's previous content is\n" +
    'kept in FILE.bak. Running it again changes nothing. Then start Claude Code: "claude".',
  async run(ctx) {
    const lib = await ctx.lib();
    const kit = await lib.loadSetup();
    if (ctx.args.TARGET === "redis-acl") {
      const agent = ctx.args.NAME;
      if (!agent) throw new UsageError("Missing NAME (usage: agent-mesh setup redis-acl NAME)");
      const stray = (["as", "role", "http", "channels", "dry-run"] as const).find((f) =>
        ctx.flags[f] !== undefined && ctx.flags[f] !== false
      );
      if (stray) throw new UsageError(`--${stray} goes with setup claude-code, not redis-acl`);
      const password = kit.freshPassword();
      ctx.print(kit.aclSetUser(agent, ctx.config.prefix, password));
      let url = `redis://${kit.aclUser(agent)}:${password}@HOST:6379/0`;
      if (ctx.config.redisUrl) {
        const u = new URL(ctx.config.redisUrl);
        u.username = kit.aclUser(agent);
        u.password = password;
        url = u.toString();
      }
      ctx.note(
        `run the line above as a Redis admin (Redis 7 or later), for example\n` +
          `  agent-mesh setup redis-acl ${agent} | redis-cli -u redis://ADMIN:PASSWORD@HOST:6379\n` +
          `then give agent ${agent} (the password is shown only here):\n` +
          `  AGENT_MESH_REDIS_URL=${url}\n` +
          `It lets ${agent} take from its own inbox only and write only its own registry entry; ` +
          `what a Redis ACL cannot protect is in the README ("A shared Redis").`,
        false,
      );
      return 0;
    }
    if (ctx.args.NAME !== undefined) {
      throw new UsageError(
        `Unexpected argument "${ctx.args.NAME}" (setup claude-code takes --as NAME)`,
      );
    }
    const name = ctx.flags.as;
    if (!name) throw new UsageError('Missing --as NAME (see "agent-mesh help setup")');
    const role = ctx.flags.role || undefined;
    const { scope, http } = ctx.flags;
    // Checked before any file is read: the URL, or the engine settings handed to the server.
    if (http !== undefined) kit.httpUrl(http, name);
    else lib.loadConfig();
    const changes = await kit.planClaudeCode({
      name,
      role,
      scope: scope as "project" | "user",
      http,
      channels: ctx.flags.channels,
      cwd: Deno.cwd(),
      home: () => lib.userHome(),
      self: lib.selfCommand(),
      env: (v) => Deno.env.get(v),
    });
    const dryRun = ctx.flags["dry-run"];
    if (dryRun) {
      for (const c of changes) {
        const diff = kit.unifiedDiff(c.path, c.before, c.after);
        if (diff) ctx.print(diff.trimEnd());
      }
    } else {
      for (const c of changes) if (kit.statusOf(c) !== "unchanged") await kit.writeChange(c);
    }
    const statuses = changes.map((c) => ({ path: c.path, status: kit.statusOf(c) as string }));
    if (ctx.json) {
      return ctx.emit({
        ok: true,
        dry_run: dryRun,
        changes: statuses,
        launch: ctx.flags.channels ? kit.LAUNCH_COMMAND : "claude",
      });
    }
    for (const { path, status } of statuses) {
      ctx.print(`${dryRun && status !== "unchanged" ? `would be ${status}` : status}: ${path}`);
    }
    if (dryRun) ctx.print("dry run: nothing written");
    const where = scope === "project" ? " in this folder" : "";
    if (ctx.flags.channels) {
      ctx.print(
        `\nStart Claude Code${where} as agent ${name}. Messages reach it through its hooks on every ` +
          `install; for channel wake-ups too (claude.ai login, Claude Code v${kit.MIN_CLAUDE_CODE} or later):\n  ${kit.LAUNCH_COMMAND}`,
      );
    } else {
      ctx.print(
        `\nStart Claude Code${where} (just "claude") as agent ${name}: its hooks show it every message ` +
          "and wake it when idle.",
      );
    }
    if (scope === "project" && http === undefined) {
      ctx.print(
        "Its agent-mesh server is approved in .claude/settings.json; Claude Code asks once " +
          "whether you trust the folder itself.",
      );
    }
    if (http !== undefined) {
      ctx.print(`The server must already be running at ${http} ("agent-mesh serve --http").`);
    }
  },
});
