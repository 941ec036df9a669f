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
import { isOurs } from "../setup/hooks.ts";
import { SERVER_NAME } from "../setup/mcp_json.ts";
import { inline } from "../text/safe_text.ts";
import {
  type ClaudeFiles,
  hasMeshSection,
  type JsonFile,
  objectAt,
  type SettingsFile,
  stringsAt,
} from "./claude_files.ts";
import type { ClaudeCodeFacts, HookFacts, Problem, ServerFacts } from "./report.ts";
import { type CommandLine, flagValue, parseCommandLine } from "./shell_words.ts";

type Env = (name: string) => string | undefined;

/** The server entry found, with what is needed to check it. */
interface FoundServer {
  facts: ServerFacts;
  /** A stdio entry's command line (undefined for HTTP). */
  line?: CommandLine;
}

/** A hook found, with its command line. */
interface FoundHook {
  facts: HookFacts;
  line: CommandLine;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The entry Claude Code uses: this folder's in ~/.claude.json, else ./.mcp.json, else the user's. */
function findServer(
  files: ClaudeFiles,
): { entry: unknown; file: JsonFile; scope: ServerFacts["scope"] } | null {
  const local = objectAt(
    objectAt(objectAt(files.user?.doc, "projects"), files.folder),
    "mcpServers",
  );
  if (files.user && local?.[SERVER_NAME] !== undefined) {
    return { entry: local[SERVER_NAME], file: files.user, scope: "local" };
  }
  const project = objectAt(files.mcp.doc, "mcpServers");
  if (project?.[SERVER_NAME] !== undefined) {
    return { entry: project[SERVER_NAME], file: files.mcp, scope: "project" };
  }
  const user = objectAt(files.user?.doc, "mcpServers");
  if (files.user && user?.[SERVER_NAME] !== undefined) {
    return { entry: user[SERVER_NAME], file: files.user, scope: "user" };
  }
  return null;
}

/**
 * Whether Claude Code starts a project's `.mcp.json` server without asking:
 * listed in `enabledMcpjsonServers` of a settings file or of this folder in
 * ~/.claude.json (where Claude Code records the user's answer), and not disabled.
 * `enableAllProjectMcpServers` is counted outside the project's settings.json only:
 * there it was measured not to approve (Claude Code 2.1.197).
 */
function approval(files: ClaudeFiles): "approved" | "disabled" | "unapproved" {
  const project = objectAt(objectAt(files.user?.doc, "projects"), files.folder);
  const sources: unknown[] = [...files.settings.map((s) => s.doc), project];
  if (sources.some((d) => stringsAt(d, "disabledMcpjsonServers").includes(SERVER_NAME))) {
    return "disabled";
  }
  if (sources.some((d) => stringsAt(d, "enabledMcpjsonServers").includes(SERVER_NAME))) {
    return "approved";
  }
  const all = files.settings.some((s) =>
    s.scope !== "project" && isObject(s.doc) && s.doc.enableAllProjectMcpServers === true
  );
  return all ? "approved" : "unapproved";
}

function readServer(files: ClaudeFiles): FoundServer | null {
  const found = findServer(files);
  if (!found) return null;
  const e = found.entry;
  const base = { file: found.file.path, scope: found.scope };
  const approved = found.scope !== "project" || approval(files) === "approved";
  if (isObject(e) && typeof e.url === "string") {
    let agent: string | null = null;
    try {
      agent = new URL(e.url).searchParams.get("as");
    } catch { /* not a URL: no agent */ }
    return {
      facts: { ...base, transport: "http", agent, target: redactUrl(e.url), approved },
    };
  }
  const command = isObject(e) && typeof e.command === "string" ? e.command : "";
  const args = isObject(e) && Array.isArray(e.args) ? e.args.map(String) : [];
  const env: Record<string, string> = {};
  if (isObject(e) && isObject(e.env)) {
    for (const [k, v] of Object.entries(e.env)) if (typeof v === "string") env[k] = v;
  }
  return {
    facts: {
      ...base,
      transport: "stdio",
      agent: flagValue(args, "--as"),
      target: [command, ...args.slice(0, Math.max(args.indexOf("serve"), 0))].join(" "),
      approved,
    },
    line: { env, program: command, args },
  };
}

function readHooks(settings: SettingsFile[]): FoundHook[] {
  const found: FoundHook[] = [];
  for (const file of settings) {
    const hooks = objectAt(file.doc, "hooks");
    if (!hooks) continue;
    for (const [event, groups] of Object.entries(hooks)) {
      if (!Array.isArray(groups)) continue;
      for (const g of groups) {
        if (!isObject(g) || !Array.isArray(g.hooks)) continue;
        for (const h of g.hooks) {
          if (!isObject(h) || !isOurs(h.command)) continue;
          const line = parseCommandLine(h.command as string);
          found.push({
            facts: {
              event,
              file: file.path,
              agent: flagValue(line.args, "--as"),
              background: h.async === true && h.asyncRewake === true,
            },
            line,
          });
        }
      }
    }
  }
  return found;
}

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

/** The facts and the problems of the Claude Code setup in `files`. */
export async function checkClaudeCode(
  files: ClaudeFiles,
  env: Env,
  config: Config,
): Promise<{ facts: ClaudeCodeFacts; problems: Problem[] }> {
  const problems = [...files.problems];
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
  const sameMesh = "run doctor with the same variables, or " +
    `${again} from a shell set for the mesh the session should join`;

  if (!server) {
    problems.push({
      check: "server",
      problem:
        `No "${SERVER_NAME}" MCP server for this folder (none in .mcp.json or ~/.claude.json)`,
      fix: `run "${setupCommand(agents[0] ?? null, false)}" here`,
    });
  } else {
    if (server.facts.agent === null) {
      problems.push({
        check: "server",
        problem:
          `The "${SERVER_NAME}" server in ${server.facts.file} names no agent (no --as NAME)`,
        fix: again,
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
          ? `remove "${SERVER_NAME}" from disabledMcpjsonServers, then ${again}`
          : again,
      });
    }
    if (server.line) {
      for (const path of programFiles(server.line)) {
        if (!missing(path)) continue;
        problems.push({
          check: "program",
          problem:
            `The "${SERVER_NAME}" server in ${server.facts.file} runs ${path}, which no longer exists`,
          fix: again,
        });
      }
      const diff = meshDiff(server.line.env, env, config, "The server's variables");
      if (diff) problems.push({ check: "engine", problem: diff, fix: sameMesh });
    }
  }

  const events = new Map<string, FoundHook[]>();
  for (const h of hooks) events.set(h.facts.event, [...(events.get(h.facts.event) ?? []), h]);
  const absent = HOOK_EVENTS.filter((e) => !events.has(e));
  if (absent.length === HOOK_EVENTS.length) {
    problems.push({
      check: "hooks",
      problem: "No agent-mesh hooks in .claude/settings.json or ~/.claude/settings.json: " +
        "messages reach the session only when the model calls a tool",
      fix: again,
    });
  } else if (absent.length > 0) {
    problems.push({
      check: "hooks",
      problem: `Agent-mesh hooks missing for ${absent.join(", ")}`,
      fix: again,
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
      fix: again,
    });
  }
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
  const checkedPaths = new Set<string>();
  for (const h of hooks) {
    for (const path of programFiles(h.line)) {
      if (checkedPaths.has(path) || !missing(path)) continue;
      checkedPaths.add(path);
      problems.push({
        check: "program",
        problem: `The agent-mesh hooks in ${h.facts.file} run ${path}, which no longer exists`,
        fix: again,
      });
    }
  }
  const diffs = new Set<string>();
  for (const h of hooks) {
    const diff = meshDiff(h.line.env, env, config, "The hooks' variables");
    if (diff) diffs.add(diff);
  }
  for (const d of diffs) {
    problems.push({ check: "engine", problem: d, fix: sameMesh });
  }
  return { facts, problems };
}
