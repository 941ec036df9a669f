/**
 * What `agent-mesh doctor` finds: the facts of the mesh, of this host and of
 * this folder's Claude Code setup, and the problems, each with its fix. The
 * field names are those of `doctor --json`.
 */

/** How an agent last received a message (from the message states). */
export interface Receipt {
  /** `listen`, `monitor`, `mesh_listen`, `hook`, … */
  reader: string;
  /** When, in seconds since the epoch, as a string (as message timestamps). */
  ts: string;
  session?: string;
}

/** An agent that is registered now, and how it receives. */
export interface AgentFacts {
  agent: string;
  role: string;
  pid: number;
  /** When the registration was last renewed, seconds since the epoch. */
  ts: number;
  /** How it last received a message; null when it never did (in the kept states). */
  receives: Receipt | null;
  /** The pid of its monitor on this host, null when none runs here. */
  monitor_pid: number | null;
  /** Hook waiter files not ended on this host: idle Claude Code sessions waiting for its messages. */
  waiters: number;
}

/** A monitor running on this host (it holds its lock file). */
export interface MonitorFacts {
  agent: string;
  /** As written in its lock file; 0 when unreadable. */
  pid: number;
}

/** The `agent-mesh` MCP server entry Claude Code would use in this folder. */
export interface ServerFacts {
  /** The file it is in. */
  file: string;
  /** local: ~/.claude.json for this folder; project: ./.mcp.json; user: ~/.claude.json. */
  scope: "local" | "project" | "user";
  transport: "stdio" | "http";
  /** The agent it acts as (`--as`, or `as=` of an HTTP URL); null when it names none. */
  agent: string | null;
  /** The program (stdio) or the URL (http, password hidden). */
  target: string;
  /** Claude Code will start it without asking (always true outside the project scope). */
  approved: boolean;
}

/** One agent-mesh hook found in a Claude Code settings file. */
export interface HookFacts {
  event: string;
  file: string;
  /** The agent after `--as`; null when unreadable. */
  agent: string | null;
  /** `async` and `asyncRewake` both set (only Stop needs them). */
  background: boolean;
}

/** This folder's Claude Code setup. */
export interface ClaudeCodeFacts {
  folder: string;
  server: ServerFacts | null;
  hooks: HookFacts[];
  /** A CLAUDE.md of the folder (or the user's) has the "## Agent Mesh" section. */
  claude_md: boolean;
}

/** One problem and what to do about it. */
export interface Problem {
  /** What was checked: store, escalation, server, approval, hooks, program, agent, engine, file. */
  check: string;
  problem: string;
  fix: string;
}

/** Everything doctor reports. */
export interface DoctorReport {
  /** No problem found (the exit code is 0, else 1). */
  ok: boolean;
  version: string;
  engine: "embedded" | "redis";
  /** The database file, or the Redis URL with its password hidden. */
  store: string;
  /** reachable; unreachable (see problems); no_database (nothing was sent on this mesh yet). */
  store_status: "reachable" | "unreachable" | "no_database";
  prefix: string;
  home: string;
  /** Who hears of replies that never came (AGENT_MESH_ESCALATE_TO). */
  escalate_to: string;
  agents: AgentFacts[];
  monitors: MonitorFacts[];
  claude_code: ClaudeCodeFacts;
  problems: Problem[];
  /** Facts worth a line that are not problems. */
  notes: string[];
}
