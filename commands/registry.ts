/**
 * The list of commands with their help. Loading a command's code is deferred to
 * `load`, so `--help` and `--version` load nothing else.
 */

/**
 * Imports `commands/<name>.ts`. The specifier is built at run time on purpose:
 * Deno loads every statically visible `import("...")` of the program at start-up,
 * which would make each CLI call read all commands and the whole MCP server
 * (some 10 ms). `deno compile` gets them with `--include commands` instead.
 */
function loadCommand(name: string): Promise<CommandModule> {
  return import(new URL(`./${name}.ts`, import.meta.url).href);
}

/** What a command module exports. */
export interface CommandModule {
  run(argv: string[]): Promise<number>;
}

/** One subcommand. */
export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  help: string;
  load(): Promise<CommandModule>;
}

const JSON_FLAG = "  --json              print one JSON document instead of text";

export const COMMANDS: CommandSpec[] = [
  {
    name: "send",
    summary: "send a message to an agent (echoed on the group stream unless --private)",
    usage:
      "send TARGET MESSAGE [--from NAME] [--private|-p] [--expect-reply|-e] [--within SECONDS]",
    help: `  --from NAME         sender name (default: cli)
  -p, --private       only the target's inbox, no echo on the group stream
  -e, --expect-reply  track the message in the sender's pending ledger
  --within SECONDS    reply deadline for --expect-reply (default: 120)
${JSON_FLAG}`,
    load: () => loadCommand("send"),
  },
  {
    name: "broadcast",
    summary: "post a message on the group stream, for every listening agent",
    usage: "broadcast MESSAGE --from NAME",
    help: `  --from NAME         sender name (required)
${JSON_FLAG}`,
    load: () => loadCommand("broadcast"),
  },
  {
    name: "listen",
    summary: "wait for the next DIRECT message (group messages are shown on the way)",
    usage: "listen NAME [--timeout SECONDS] [--stealth] [--json]",
    help: `  --timeout SECONDS   give up after this long (default: 60); exit 0 either way
  --stealth           print nothing (still answers pings and takes the message)
${JSON_FLAG}
A request shows, under its line, the exact "reply" command that answers it.`,
    load: () => loadCommand("listen"),
  },
  {
    name: "monitor",
    summary: "run a listener for NAME until stopped (one per name per host)",
    usage: "monitor NAME [--stealth]",
    help: `  --stealth           print nothing
Registers NAME, prints every message, answers pings, re-pings overdue
--expect-reply messages and escalates them to "watchdog". Ctrl-C stops it.`,
    load: () => loadCommand("monitor"),
  },
  {
    name: "ping",
    summary: "ping an agent and measure the round trip",
    usage: "ping TARGET [--from NAME] [--timeout SECONDS] [--json]",
    help: `  --from NAME         sender name (default: cli)
  --timeout SECONDS   how long to wait for the pong (default: 5); exit 1 on timeout
${JSON_FLAG}`,
    load: () => loadCommand("ping"),
  },
  {
    name: "request",
    summary: "send a request and wait for its reply",
    usage: "request TARGET MESSAGE --from NAME [--timeout SECONDS] [--json]",
    help: `  --from NAME         requester name (required)
  --timeout SECONDS   how long to wait for the reply (default: 180); exit 1 on timeout
${JSON_FLAG}`,
    load: () => loadCommand("request"),
  },
  {
    name: "reply",
    summary: "answer a request, with the key shown by listen",
    usage: "reply REPLY_KEY TEXT [--from NAME]",
    help: `  --from NAME         replier name (default: cli)
REPLY_KEY looks like mesh:reply:<32 hex characters>.`,
    load: () => loadCommand("reply"),
  },
  {
    name: "ack",
    summary: 'clear your pending entries for PEER and send it "ACK: TEXT" privately',
    usage: "ack PEER TEXT [--from NAME]",
    help: `  --from NAME         your name (default: cli)`,
    load: () => loadCommand("ack"),
  },
  {
    name: "pending",
    summary: "list NAME's messages still waiting for a reply",
    usage: "pending NAME [--json]",
    help: JSON_FLAG,
    load: () => loadCommand("pending"),
  },
  {
    name: "register",
    summary: "register NAME in the registry for 180 s",
    usage: "register NAME [--role TEXT]",
    help: `  --role TEXT         what this agent does, shown by who`,
    load: () => loadCommand("register"),
  },
  {
    name: "deregister",
    summary: "remove NAME from the registry",
    usage: "deregister NAME",
    help: "",
    load: () => loadCommand("deregister"),
  },
  {
    name: "who",
    summary: "list registered agents",
    usage: "who [--all] [--json]",
    help: `  --all               also agents with an inbox but no live registration
${JSON_FLAG}`,
    load: () => loadCommand("who"),
  },
  {
    name: "serve",
    summary: "run the MCP server (stdio by default, or HTTP with --http)",
    usage:
      "serve [--as NAME [--role TEXT] [--group]] [--allow-views] | serve --http [--port PORT] [--host ADDRESS] [--insecure] [--allow-views]",
    help: `  --as NAME           the session is agent NAME (default: $AGENT_MESH_AGENT):
                      registered while it runs, tools send as NAME, and every
                      direct message to NAME is pushed to the client as a
                      Claude Code channel event (notifications/claude/channel)
  --role TEXT         the role registered for NAME, shown by who
  --group             also push group traffic (broadcasts, others' messages)
  --http              serve HTTP instead of stdio: /mcp (Streamable HTTP),
                      /sse (legacy SSE, as the original) and /health; a
                      session opened on /mcp?as=NAME (or with an X-Agent-Name
                      header) is agent NAME, as with --as
  --port PORT         HTTP port (default: 8765; 0 picks a free one)
  --host ADDRESS      address to bind (default: 127.0.0.1, this machine only)
  --insecure          allow a non-loopback --host without AGENT_MESH_TOKEN
  --allow-views       let a session bound to an agent read other agents'
                      history and pending ledger (it acts on its own name only)
With AGENT_MESH_TOKEN set, every HTTP endpoint but /health requires
"Authorization: Bearer <token>". Once an agent has a token ("agent-mesh token"),
a session opened as that agent needs it. Requests whose Host or Origin is not
this server are refused. Over stdio, stdout carries only MCP; logs go to stderr.`,
    load: () => loadCommand("serve"),
  },
  {
    name: "token",
    summary: "create, list or revoke the token an agent needs with serve --http",
    usage: "token create NAME | token list [--json] | token revoke NAME",
    help: `  create NAME         print a new random token for NAME, once (only its SHA-256
                      is kept, in $AGENT_MESH_HOME/agent-tokens.json, mode 0600)
  list                the agents that have a token (never the tokens)
  revoke NAME         remove NAME's token
${JSON_FLAG}
Once any agent has a token, "serve --http" requires a session opened as NAME
(/mcp?as=NAME, X-Agent-Name) to send "Authorization: Bearer <NAME's token>", and
a session bound to no agent to send AGENT_MESH_TOKEN (refused without it).`,
    load: () => loadCommand("token"),
  },
  {
    name: "setup",
    summary: "set up Claude Code to join the mesh as agent NAME, with messages pushed in",
    usage:
      "setup claude-code --as NAME [--role TEXT] [--scope project|user] [--http URL] [--dry-run] | setup redis-acl NAME",
    help: `  --as NAME           the agent Claude Code sessions here act as (required)
  --role TEXT         what the agent does, shown by who
  --scope SCOPE       project (default): ./.mcp.json and ./CLAUDE.md;
                      user: ~/.claude.json and ~/.claude/CLAUDE.md
  --http URL          use a server already running at URL ("serve --http"),
                      adding ?as=NAME, instead of starting one per session
  --dry-run           print the changes as a diff and write nothing
Adds the "agent-mesh" MCP server (this program, "serve --as NAME", with the
AGENT_MESH_REDIS_URL, AGENT_MESH_DB and AGENT_MESH_PREFIX set now) and an
"## Agent Mesh" section in CLAUDE.md; other servers and sections are kept as they
are, and a changed file's previous content is kept in FILE.bak. Running it again
changes nothing. Then start Claude Code with:
  claude --dangerously-load-development-channels server:agent-mesh
"setup redis-acl NAME" prints the Redis ACL user (ACL SETUSER, Redis 7) that
lets agent NAME use a shared Redis without reading or taking others' messages.`,
    load: () => loadCommand("setup"),
  },
  {
    name: "demo",
    summary: "run a short scripted exchange between two agents on a throwaway database",
    usage: "demo",
    help: "",
    load: () => loadCommand("demo"),
  },
];

/** The command called `name`, or undefined. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
