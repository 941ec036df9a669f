import type { Binding } from "../mcp/channel.ts";
import { UsageError } from "../lib/errors.ts";
import { checkName, ROLE_MAX } from "../lib/names.ts";
import { defineCommand } from "./_cli/define.ts";
import { lit, obj, oneOf, str } from "./_cli/shape.ts";

/** Default port of `serve --http` (the original's). */
export const DEFAULT_PORT = 8765;

/** `agent-mesh serve`: the MCP server. */
export default defineCommand({
  name: "serve",
  summary: "run the MCP server (stdio by default, or HTTP with --http)",
  flags: {
    as: {
      type: "name",
      value: "NAME",
      help: "the session is agent NAME (default: $AGENT_MESH_AGENT): tools send as\n" +
        "NAME, and from its first tool call NAME is registered while it runs; the\n" +
        "session never takes NAME's messages (hooks and mesh_listen do)",
    },
    role: {
      type: "string",
      value: "TEXT",
      maxLength: ROLE_MAX,
      help: "the role registered for NAME, shown by who",
    },
    channels: {
      type: "boolean",
      help: "push a wake-up to the client as a Claude Code channel event\n" +
        "(notifications/claude/channel) when messages arrive for NAME; it takes nothing",
    },
    group: {
      type: "boolean",
      help: "with --channels, also push group traffic (broadcasts, others' messages)",
    },
    http: {
      type: "boolean",
      help: "serve HTTP instead of stdio: /mcp (Streamable HTTP), /sse (legacy\n" +
        "SSE, as the original) and /health; a session opened on /mcp?as=NAME\n" +
        "(or with an X-Agent-Name header) is agent NAME, as with --as\n" +
        "(channels=1 for wake-ups on its GET stream)",
    },
    port: {
      type: "number",
      value: "PORT",
      integer: true,
      min: 0,
      max: 65535,
      default: DEFAULT_PORT,
      help: "HTTP port (0 picks a free one)",
    },
    host: {
      type: "string",
      value: "ADDRESS",
      default: "127.0.0.1",
      help: "address to bind (default: 127.0.0.1, this machine only)",
    },
    insecure: {
      type: "boolean",
      help: "allow a non-loopback --host without AGENT_MESH_TOKEN",
    },
    "allow-views": {
      type: "boolean",
      help: "let a session bound to an agent read other agents' history and ledger\n" +
        "(mesh_history, mesh_pending); it still acts only as its own agent",
    },
  },
  requires: { port: "http", host: "http", insecure: "http", group: "channels" },
  conflicts: [{
    flags: ["as", "role", "group", "channels"],
    with: "http",
    message:
      "--as, --role, --channels and --group go with stdio; over HTTP each session names its agent with /mcp?as=NAME",
  }],
  shutdownOnSignal: true,
  output: obj({ ok: lit(true), url: str, engine: oneOf("embedded", "redis") }),
  description: "With AGENT_MESH_TOKEN set, every HTTP endpoint but /health requires\n" +
    '"Authorization: Bearer <token>". Requests whose Host or Origin is not this\n' +
    "server are refused. Over stdio, stdout carries only MCP; logs go to stderr.\n" +
    "With --http --json, the address is printed on stdout once the server listens.",
  async run(ctx) {
    const { http, host: hostname, port, insecure, role, group, channels } = ctx.flags;
    let bind: Binding | undefined;
    if (!http) {
      // Over HTTP, AGENT_MESH_AGENT is ignored: one server serves many agents.
      const agent = ctx.flags.as ?? (Deno.env.get("AGENT_MESH_AGENT") || undefined);
      if (agent === undefined && (role !== undefined || group || channels)) {
        throw new UsageError(
          '--role, --channels and --group go with --as NAME (see "agent-mesh help serve")',
        );
      }
      if (agent !== undefined) {
        if (ctx.flags.as === undefined) checkName(agent, "AGENT_MESH_AGENT name");
        bind = { agent, role, channels, group };
      }
    }
    const token = Deno.env.get("AGENT_MESH_TOKEN") || undefined;
    const lib = await ctx.lib();
    if (http && !insecure && !token && !(await lib.loadGuard()).isLoopback(hostname)) {
      throw new UsageError(
        `Refusing to serve on ${hostname} without AGENT_MESH_TOKEN: anyone who can reach it could read and send messages (set the token, or pass --insecure)`,
      );
    }
    const mesh = await ctx.mesh();
    if (!http) {
      await (await lib.loadStdio()).serveStdio(mesh, {
        bind,
        allowViews: ctx.flags["allow-views"],
      });
      return 0;
    }
    const { serveHttp } = await lib.loadHttp();
    const signal = ctx.signal;
    await serveHttp(mesh, {
      hostname,
      port,
      token,
      allowViews: ctx.flags["allow-views"],
      signal,
      onListen: (addr) => {
        const shown = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
        const url = `http://${shown}:${addr.port}`;
        ctx.note(
          `MCP server on ${url} (/mcp, /sse, /health), ` +
            `${mesh.store.engine} engine${token ? ", token required" : ""}`,
        );
        if (ctx.json) ctx.emit({ ok: true, url, engine: mesh.store.engine });
      },
    });
    return 0;
  },
});
