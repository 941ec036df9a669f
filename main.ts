#!/usr/bin/env -S deno run -A
/**
 * agent-mesh: messaging between AI agents. This entrypoint only parses the
 * command line and dispatches to `commands/`; each command is loaded on demand.
 */
import { COMMANDS, type CommandSpec, findCommand } from "./commands/registry.ts";
import { isUserError, UsageError } from "./lib/errors.ts";
import { VERSION } from "./lib/version.ts";

const ENVIRONMENT = `Environment:
  AGENT_MESH_REDIS_URL     use Redis at this URL (redis:// or rediss://) instead of the embedded file
  AGENT_MESH_DB            the embedded engine's SQLite file (default: $AGENT_MESH_HOME/mesh.db)
  AGENT_MESH_HOME          folder of local files (default: ~/.cache/agent-mesh)
  AGENT_MESH_PREFIX        key prefix (default: mesh)
  AGENT_MESH_GATE_LIMIT    sends per sender->target per 10 s (default: 40)
  AGENT_MESH_GATE_ENFORCE  1 to refuse sends over the limit (default: 0, audit only)
  AGENT_MESH_MAX_BYTES     largest message in bytes (default: 262144)
  AGENT_MESH_LEASE_S       seconds before a message taken by a crashed listener is given out again (default: 10)
  AGENT_MESH_AGENT         the agent of "serve" over stdio when --as is not given`;

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `agent-mesh ${VERSION}: messaging for AI agents (direct messages, broadcast, ping, request/reply, presence)

Usage: agent-mesh COMMAND [ARGS...]

Commands:
${lines.join("\n")}
  ${"help".padEnd(width)}  show help for a command

Options:
  -h, --help     show this help
  -V, --version  print the version

${ENVIRONMENT}

Run "agent-mesh help COMMAND" for a command's flags.`;
}

function commandHelp(c: CommandSpec): string {
  return `Usage: agent-mesh ${c.usage}\n\n${c.summary[0].toUpperCase()}${c.summary.slice(1)}.${
    c.help ? `\n\n${c.help}` : ""
  }`;
}

async function run(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help") {
    console.log(mainHelp());
    return first === undefined ? 2 : 0;
  }
  if (first === "-V" || first === "--version" || first === "version") {
    console.log(`agent-mesh ${VERSION}`);
    return 0;
  }
  if (first === "help") {
    if (rest.length === 0) {
      console.log(mainHelp());
      return 0;
    }
    const c = findCommand(rest[0]);
    if (!c) throw new UsageError(`Unknown command "${rest[0]}" (see "agent-mesh --help")`);
    console.log(commandHelp(c));
    return 0;
  }
  const command = findCommand(first);
  if (!command) {
    throw new UsageError(`Unknown command "${first}" (see "agent-mesh --help")`);
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(commandHelp(command));
    return 0;
  }
  const mod = await command.load();
  return await mod.run(rest);
}

if (import.meta.main) {
  let code: number;
  try {
    code = await run(Deno.args);
  } catch (err) {
    if (isUserError(err)) {
      console.error(`agent-mesh: ${err.message.replace(/\s*\n\s*/g, " ")}`);
      code = err.exitCode;
    } else {
      const e = err as Error;
      console.error(`agent-mesh: unexpected error: ${e?.message ?? String(err)}`);
      if (Deno.env.get("AGENT_MESH_DEBUG")) console.error(e?.stack);
      code = 1;
    }
  }
  Deno.exit(code);
}
