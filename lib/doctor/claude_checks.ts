/**
 * Checks this folder's Claude Code setup as `setup claude-code` writes it: the
 * server entry (present, approved, its program still there), the hooks (every
 * event, once, Stop in the background), both acting as one agent, and both
 * joining the mesh this shell uses.
 */
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { type Config, loadConfig, redactUrl } from "../config.ts";
import { HOOK_EVENTS } from "../hooks/input.ts";
import { SERVER_NAME } from "../setup/mcp_json.ts";
import { inline } from "../text/safe_text.ts";
import { type ClaudeFiles, hasMeshSection } from "./claude_files.ts";
import {
  approval,
  type FoundHook,
  type FoundServer,
  readHooks,
  readServer,
} from "./claude_setup.ts";
import type { ClaudeCodeFacts, Problem } from "./report.ts";
import type { CommandLine } from "./shell_words.ts";

type Env = (name: string) => string | undefined;

/** The files a command line runs (the program, and a `deno run` script) that are absolute paths. */
function programFiles(line: CommandLine): string[] {
  const out: string[] = [];
  if (isAbsolute(line.program)) out.push(line.program);
  if (line.args[0] === "run") {
    const script = line.args.slice(1).find((a) => !a.startsWith("-"));
    if (script?.startsWith("file:")) {
      try {
        out.push(fileURLToPath(script));
      } catch { /* not a file URL after all */ }
    } else if (script && isAbsolute(script)) out.push(script);
  }
  return out;
}

function missing(path: string): boolean {
  try {
    Deno.statSync(path);
    return false;
  } catch {
    return true;
  }
}

/** What identifies a mesh: where it is stored, its prefix, and the local home. */
function meshParts(c: Config): Record<string, string> {
  return {
    store: c.redisUrl ? `Redis ${redactUrl(c.redisUrl)}` : `database ${c.dbPath}`,
    prefix: `prefix ${c.prefix}`,
    home: `home ${c.home}`,
  };
}

/**
 * How the mesh of a process started with `extra` on top of this shell's
 * environment differs from this shell's; empty when it is the same mesh.
 */
function meshDiff(
  extra: Record<string, string>,
  env: Env,
  config: Config,
  who: string,
): string | null {
  let theirs: Config;
  try {
    theirs = loadConfig((name) => Object.hasOwn(extra, name) ? extra[name] : env(name));
  } catch (err) {
    return `${who} set an unusable value: ${(err as Error).message}`;
  }
  const a = meshParts(theirs);
  const b = meshParts(config);
  const diff = (Object.keys(a) as (keyof typeof a)[]).filter((k) => a[k] !== b[k]);
  if (diff.length === 0) return null;
  return `${who} use ${diff.map((k) => a[k]).join(", ")} but this shell ${
    diff.map((k) => b[k]).join(", ")
  }: a session here would join another mesh`;
}

/** What `setup` needs to be told to write this folder's setup again. */
function setupCommand(agent: string | null, user: boolean): string {
  return `agent-mesh setup claude-code --as ${agent ? inline(agent) : "NAME"}${
    user ? " --scope user" : ""
  }`;
}

/** What the checks share: the environment, the configuration, and the fixes to suggest. */
interface Context {
  env: Env;
  config: Config;
  /** Run setup again (with the agent found, and the scope found). */
  again: string;
  /** Make doctor and the session see the same mesh. */
  sameMesh: string;
}

function serverProblems(
  server: FoundServer | null,
  files: ClaudeFiles,
  agent: string | null,
  c: Context,
): Problem[] {
  if (!server) {
    return [{
      check: "server",
      problem:
        `No "${SERVER_NAME}" MCP server for this folder (none in .mcp.json or ~/.claude.json)`,
      fix: `run "${setupCommand(agent, false)}" here`,
    }];
  }
  const problems: Problem[] = [];
  const { file } = server.facts;
  if (server.facts.agent === null) {
    problems.push({
      check: "server",
      problem: `The "${SERVER_NAME}" server in ${file} names no agent (no --as NAME)`,
      fix: c.again,
    });
  }
  if (!server.facts.approved) {
    const disabled = approval(files) === "disabled";
    problems.push({
      check: "approval",
      problem: disabled
        ? `The "${SERVER_NAME}" server of .mcp.json is disabled (disabledMcpjsonServers)`
        : `The "${SERVER_NAME}" server of .mcp.json is not approved: an interactive session stops to ask`,
      fix: disabled
        ? `remove "${SERVER_NAME}" from disabledMcpjsonServers, then ${c.again}`
        : c.again,
    });
  }
  if (!server.line) return problems;
  for (const path of programFiles(server.line)) {
    if (!missing(path)) continue;
    problems.push({
      check: "program",
      problem: `The "${SERVER_NAME}" server in ${file} runs ${path}, which no longer exists`,
      fix: c.again,
    });
  }
  const diff = meshDiff(server.line.env, c.env, c.config, "The server's variables");
  if (diff) problems.push({ check: "engine", problem: diff, fix: c.sameMesh });
  return problems;
}

function hookProblems(hooks: FoundHook[], c: Context): Problem[] {
  const problems: Problem[] = [];
  const events = new Map<string, FoundHook[]>();
  for (const h of hooks) events.set(h.facts.event, [...(events.get(h.facts.event) ?? []), h]);
  const absent = HOOK_EVENTS.filter((e) => !events.has(e));
  if (absent.length === HOOK_EVENTS.length) {
    problems.push({
      check: "hooks",
      problem: "No agent-mesh hooks in .claude/settings.json or ~/.claude/settings.json: " +
        "messages reach the session only when the model calls a tool",
      fix: c.again,
    });
  } else if (absent.length > 0) {
    problems.push({
      check: "hooks",
      problem: `Agent-mesh hooks missing for ${absent.join(", ")}`,
      fix: c.again,
    });
  }
  const twice = [...events].filter(([, list]) => list.length > 1);
  if (twice.length > 0) {
    const where = [...new Set(twice.flatMap(([, list]) => list.map((h) => h.facts.file)))];
    problems.push({
      check: "hooks",
      problem: `Agent-mesh hooks set more than once for ${
        twice.map(([e]) => inline(e)).join(", ")
      } (in ${where.join(" and ")}): each message would be handled more than once`,
      fix: "keep the hooks of one scope: remove agent-mesh's hooks from the others",
    });
  }
  for (const h of events.get("Stop") ?? []) {
    if (h.facts.background) continue;
    problems.push({
      check: "hooks",
      problem: `The Stop hook in ${h.facts.file} lacks "async" and "asyncRewake": ` +
        "it blocks every turn's end and cannot wake an idle session",
      fix: c.again,
    });
  }
  const paths = new Set(hooks.flatMap((h) => programFiles(h.line)));
  for (const path of [...paths].filter(missing)) {
    problems.push({
      check: "program",
      problem: `The agent-mesh hooks run ${path}, which no longer exists`,
      fix: c.again,
    });
  }
  const diffs = new Set(
    hooks.map((h) => meshDiff(h.line.env, c.env, c.config, "The hooks' variables")),
  );
  for (const d of diffs) if (d) problems.push({ check: "engine", problem: d, fix: c.sameMesh });
  return problems;
}

/** The facts and the problems of the Claude Code setup in `files`. */
export async function checkClaudeCode(
  files: ClaudeFiles,
  env: Env,
  config: Config,
): Promise<{ facts: ClaudeCodeFacts; problems: Problem[] }> {
  const server = readServer(files);
  const hooks = readHooks(files.settings);
  const facts: ClaudeCodeFacts = {
    folder: files.folder,
    server: server?.facts ?? null,
    hooks: hooks.map((h) => h.facts),
    claude_md: await hasMeshSection(files),
  };
  const agents = [...new Set([server?.facts.agent, ...hooks.map((h) => h.facts.agent)])]
    .filter((a): a is string => typeof a === "string");
  const user = server
    ? server.facts.scope === "user"
    : hooks.some((h) => files.settings.find((s) => s.path === h.facts.file)?.scope === "user");
  const again = `run "${setupCommand(agents[0] ?? null, user)}" here`;
  const c: Context = {
    env,
    config,
    again,
    sameMesh: "run doctor with the same variables, or " +
      `${again} from a shell set for the mesh the session should join`,
  };
  const problems = [
    ...files.problems,
    ...serverProblems(server, files, agents[0] ?? null, c),
    ...hookProblems(hooks, c),
  ];
  if (agents.length > 1) {
    const by = [
      ...(server?.facts.agent ? [`the server as ${inline(server.facts.agent)}`] : []),
      ...[...new Set(hooks.map((h) => h.facts.agent).filter((a) => a !== null))].map((a) =>
        `hooks as ${inline(a!)}`
      ),
    ];
    problems.push({
      check: "agent",
      problem: `The setup names different agents: ${by.join(", ")}`,
      fix: `run "${setupCommand(server?.facts.agent ?? agents[0], user)}" here, with the one name`,
    });
  }
  return { facts, problems };
}
