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
      "send TARGET MESSAGE [--from NAME] [--private|-p] [--expect-reply|-e] [--within SECONDS] [--wait STATE [--timeout SECONDS]]",
    help: `  --from NAME         sender name (default: cli)
  -p, --private       only the target's inbox, no echo on the group stream
  -e, --expect-reply  track the message in the sender's pending ledger
  --within SECONDS    reply deadline for --expect-reply (default: 120)
  --wait STATE        wait until the message is taken, delivered (shown to its
                      reader) or seen (in a Claude Code session's transcript)
  --timeout SECONDS   how long --wait waits (default: 60); exit 1 on timeout
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
    name: "status",
    summary: "show what happened to a message: queued, taken (by whom), delivered, seen",
    usage: "status ID [--json]",
    help: `ID is the message id that send --json prints (or a request's id).
${JSON_FLAG}`,
    load: () => loadCommand("status"),
  },
  {
    name: "history",
    summary: "show NAME's recent messages with their states, taking nothing",
    usage: "history NAME [--group] [--limit N] [--json]",
    help: `  --group             the group stream instead of NAME's inbox
  --limit N           how many messages, newest last (default: 20, at most 2000)
${JSON_FLAG}`,
    load: () => loadCommand("history"),
  },
  {
    name: "tail",
    summary: "follow all traffic (or NAME's) and state changes live, taking nothing",
    usage: "tail [NAME] [--pings]",
    help: `  --pings             also show pings
Each line: time, sender → receiver, kind (direct, group, request, reply, ping)
and the text, or a state change (taken, delivered, seen). Ctrl-C stops.`,
    load: () => loadCommand("tail"),
  },
  {
    name: "rm",
    summary: "remove an agent: its inbox, registration, ledger and message states",
    usage: "rm NAME [--yes|-y]",
    help: `  -y, --yes           do not ask (required when stdin is not a terminal)`,
    load: () => loadCommand("rm"),
  },
  {
    name: "dashboard",
    summary: "serve the web dashboard on this machine and print its URL",
    usage: "dashboard [--port PORT] [--host ADDRESS] [--insecure]",
    help: `  --port PORT         port (default: 0, a free one)
  --host ADDRESS      address to bind (default: 127.0.0.1, this machine only)
  --insecure          allow a non-loopback --host without AGENT_MESH_TOKEN
Prints the URL on stdout. The same page is at / of "serve --http". With
AGENT_MESH_TOKEN set, the page asks for the token. Ctrl-C stops.`,
    load: () => loadCommand("dashboard"),
  },
  {
    name: "serve",
    summary: "run the MCP server (stdio by default, or HTTP with --http)",
    usage:
      "serve [--as NAME [--role TEXT] [--channels [--group]]] | serve --http [--port PORT] [--host ADDRESS] [--insecure]",
    help: `  --as NAME           the session is agent NAME (default: $AGENT_MESH_AGENT):
                      tools send as NAME, and from its first tool call NAME
                      is registered while the session lives; the session
                      never takes NAME's messages (hooks and mesh_listen do)
  --role TEXT         the role registered for NAME, shown by who
  --channels          push a wake-up to the client as a Claude Code channel
                      event (notifications/claude/channel) when messages
                      arrive for NAME; the event takes nothing
  --group             with --channels, also push group traffic (broadcasts,
                      others' messages) as events
  --http              serve HTTP instead of stdio: /mcp (Streamable HTTP),
                      /sse (legacy SSE, as the original) and /health; a
                      session opened on /mcp?as=NAME (or with an X-Agent-Name
                      header) is agent NAME, as with --as (channels=1 for
                      wake-ups on its GET stream)
  --port PORT         HTTP port (default: 8765; 0 picks a free one)
  --host ADDRESS      address to bind (default: 127.0.0.1, this machine only)
  --insecure          allow a non-loopback --host without AGENT_MESH_TOKEN
With AGENT_MESH_TOKEN set, every HTTP endpoint but /health requires
"Authorization: Bearer <token>". Requests whose Host or Origin is not this
server are refused. Over stdio, stdout carries only MCP; logs go to stderr.`,
    load: () => loadCommand("serve"),
  },
  {
    name: "setup",
    summary: "set up Claude Code to join the mesh as agent NAME: MCP server, hooks, CLAUDE.md",
    usage:
      "setup claude-code --as NAME [--role TEXT] [--scope project|user] [--http URL] [--channels] [--dry-run]",
    help: `  --as NAME           the agent Claude Code sessions here act as (required)
  --role TEXT         what the agent does, shown by who
  --scope SCOPE       project (default): ./.mcp.json, ./.claude/settings.json
                      and ./CLAUDE.md; user: ~/.claude.json,
                      ~/.claude/settings.json and ~/.claude/CLAUDE.md
  --http URL          use a server already running at URL ("serve --http"),
                      adding ?as=NAME, instead of starting one per session
  --channels          also push wake-ups as channel events (claude.ai login
                      and a launch flag needed; hooks work without)
  --dry-run           print the changes as a diff and write nothing
Adds the "agent-mesh" MCP server (this program, "serve --as NAME", with the
AGENT_MESH_REDIS_URL, AGENT_MESH_DB and AGENT_MESH_PREFIX set now), the hooks
that show NAME's messages to the model and wake an idle session
("agent-mesh hook EVENT --as NAME"), and an "## Agent Mesh" section in
CLAUDE.md; other servers, hooks and sections are kept, and a changed file's
previous content is kept in FILE.bak. Running it again changes nothing.`,
    load: () => loadCommand("setup"),
  },
  {
    name: "hook",
    summary: "run a Claude Code hook for agent NAME (written by setup claude-code)",
    usage: "hook SessionStart|UserPromptSubmit|PostToolUse|Stop|SessionEnd --as NAME [--role TEXT]",
    help: `  --as NAME           the agent this Claude Code session is (default: $AGENT_MESH_AGENT)
  --role TEXT         the role registered at SessionStart
Reads the hook's JSON on stdin. SessionStart registers NAME and injects what
waits (messages, requests still waiting for an answer, replies owed);
UserPromptSubmit and PostToolUse inject the messages that arrived since; Stop
(async, asyncRewake) waits for the next message and wakes the idle session with
it (exit 2); SessionEnd deregisters NAME. Failures exit 1, never 2.`,
    load: () => loadCommand("hook"),
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
