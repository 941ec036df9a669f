import { defineCommand } from "./_cli/define.ts";
import { arr, bool, lit, obj, str } from "./_cli/shape.ts";

/** `agent-mesh setup claude-code`: configure Claude Code as an agent. */
export default defineCommand({
  name: "setup",
  summary: "set up Claude Code to join the mesh as agent NAME, with messages pushed in",
  args: [{ name: "TARGET", choices: ["claude-code"], help: "what to set up: claude-code" }],
  flags: {
    as: {
      type: "name",
      value: "NAME",
      required: true,
      help: "the agent Claude Code sessions here act as",
    },
    role: {
      type: "string",
      value: "TEXT",
      maxLength: 200,
      help: "what the agent does, shown by who",
    },
    scope: {
      type: "string",
      value: "SCOPE",
      choices: ["project", "user"],
      default: "project",
      help: "project: ./.mcp.json and ./CLAUDE.md;\nuser: ~/.claude.json and ~/.claude/CLAUDE.md",
    },
    http: {
      type: "string",
      value: "URL",
      help:
        'use a server already running at URL ("serve --http"),\nadding ?as=NAME, instead of starting one per session',
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
    "AGENT_MESH_REDIS_URL, AGENT_MESH_DB and AGENT_MESH_PREFIX set now) and an\n" +
    '"## Agent Mesh" section in CLAUDE.md; other servers and sections are kept as they\n' +
    "are, and a changed file's previous content is kept in FILE.bak. Running it again\n" +
    "changes nothing. Then start Claude Code with:\n" +
    "  claude --dangerously-load-development-channels server:agent-mesh",
  async run(ctx) {
    const name = ctx.flags.as;
    const role = ctx.flags.role || undefined;
    const { scope, http } = ctx.flags;
    const lib = await ctx.lib();
    const kit = await lib.loadSetup();
    // Checked before any file is read: the URL, or the engine settings handed to the server.
    if (http !== undefined) kit.httpUrl(http, name);
    else lib.loadConfig();
    const changes = await kit.planClaudeCode({
      name,
      role,
      scope: scope as "project" | "user",
      http,
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
      return ctx.emit({ ok: true, dry_run: dryRun, changes: statuses, launch: kit.LAUNCH_COMMAND });
    }
    for (const { path, status } of statuses) {
      ctx.print(`${dryRun && status !== "unchanged" ? `would be ${status}` : status}: ${path}`);
    }
    if (dryRun) ctx.print("dry run: nothing written");
    ctx.print(
      `\nStart Claude Code${
        scope === "project" ? " in this folder" : ""
      } as agent ${name}, with the channel (needs Claude Code v${kit.MIN_CLAUDE_CODE} or later):\n  ${kit.LAUNCH_COMMAND}`,
    );
    if (http !== undefined) {
      ctx.print(
        `The server must already be running at ${http} ("agent-mesh serve --http"). Claude Code documents ` +
          "channels for servers it starts itself: over HTTP, pushed messages may not be shown; " +
          "mesh_history shows them either way.",
      );
    }
  },
});
