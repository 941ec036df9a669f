/**
 * `setup claude-code`: which files, and their new content. Everything is read and
 * checked here before anything is written, so a bad file stops the whole setup.
 */
import { isAbsolute, join, resolve } from "node:path";
import { MeshError } from "../errors.ts";
import { agentMeshSection, setSection } from "./claude_md.ts";
import { type FileChange, readIfExists } from "./files.ts";
import { hookCommand, setHooks } from "./hooks.ts";
import {
  BadConfigFile,
  ENGINE_ENV,
  httpUrl,
  type McpEntry,
  parseConfig,
  SERVER_NAME,
  setJsonPath,
  setServerEntry,
  stdioEntry,
} from "./mcp_json.ts";

/** Where the configuration goes: this project, or every session of the user. */
export type Scope = "project" | "user";

/** The command that launches Claude Code with agent-mesh's channel (only with --channels). */
export const LAUNCH_COMMAND = "claude --dangerously-load-development-channels server:agent-mesh";

/** The oldest Claude Code with channels. */
export const MIN_CLAUDE_CODE = "2.1.80";

/** Everything setup needs, already checked (the name) or gathered (paths, environment). */
export interface ClaudeCodeSetup {
  name: string;
  role?: string;
  scope: Scope;
  /** The server's URL as given with --http, else undefined (Claude Code starts the server). */
  http?: string;
  /** Also push wake-ups as channel events (needs claude.ai login and a launch flag). */
  channels?: boolean;
  /** The folder of a project-scope setup. */
  cwd: string;
  /** The user's home folder (needed for the user scope only). */
  home: () => string;
  /** How to run this program. */
  self: { command: string; args: string[] };
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
}

/** The MCP configuration file, the Claude Code settings and the CLAUDE.md of `scope`. */
export function targetPaths(
  scope: Scope,
  cwd: string,
  home: () => string,
): { mcp: string; settings: string; md: string } {
  if (scope === "user") {
    const h = home();
    return {
      mcp: join(h, ".claude.json"),
      settings: join(h, ".claude", "settings.json"),
      md: join(h, ".claude", "CLAUDE.md"),
    };
  }
  return {
    mcp: join(cwd, ".mcp.json"),
    settings: join(cwd, ".claude", "settings.json"),
    md: join(cwd, "CLAUDE.md"),
  };
}

/** The engine variables that are set and not empty; a relative AGENT_MESH_DB made absolute. */
export function engineEnv(
  env: (name: string) => string | undefined,
  cwd: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ENGINE_ENV) {
    const value = env(name);
    if (!value) continue;
    // The server does not run in this folder: keep pointing at the same file.
    out[name] = name === "AGENT_MESH_DB" && !isAbsolute(value) ? resolve(cwd, value) : value;
  }
  return out;
}

/** The `agent-mesh` server entry for `o`. */
export function entryFor(o: ClaudeCodeSetup): McpEntry {
  if (o.http !== undefined) return { type: "http", url: httpUrl(o.http, o.name) };
  return stdioEntry(o.self, o.name, o.role, engineEnv(o.env, o.cwd), o.channels === true);
}

/**
 * A project's `.mcp.json` servers wait for the user's approval, and an interactive
 * session stops at that dialog. Measured (Claude Code 2.1.197, trusted folder):
 * `enabledMcpjsonServers: ["agent-mesh"]` in the project's settings approves the
 * server, and only it. (Trusting the folder stays the user's decision.)
 */
function approve(settings: string): string {
  const doc = parseConfig(settings) as { enabledMcpjsonServers?: unknown };
  const enabled = Array.isArray(doc.enabledMcpjsonServers) ? doc.enabledMcpjsonServers : [];
  if (enabled.includes(SERVER_NAME)) return settings;
  return setJsonPath(settings, ["enabledMcpjsonServers"], [...enabled, SERVER_NAME]);
}

/** Reads the files and returns their planned changes; throws before anything is written. */
export async function planClaudeCode(o: ClaudeCodeSetup): Promise<FileChange[]> {
  const entry = entryFor(o);
  const paths = targetPaths(o.scope, o.cwd, o.home);
  const mcpBefore = await readIfExists(paths.mcp);
  let mcpAfter: string;
  try {
    mcpAfter = setServerEntry(mcpBefore, entry);
  } catch (err) {
    if (!(err instanceof BadConfigFile)) throw err;
    throw new MeshError(`Cannot update ${paths.mcp}: ${err.message}; fix or move it first`);
  }
  const settingsBefore = await readIfExists(paths.settings);
  let settingsAfter: string;
  try {
    const env = engineEnv(o.env, o.cwd);
    settingsAfter = setHooks(
      settingsBefore,
      (event) => hookCommand(o.self, event, o.name, o.role, env),
    );
    if (o.scope === "project") settingsAfter = approve(settingsAfter);
  } catch (err) {
    if (!(err instanceof BadConfigFile)) throw err;
    throw new MeshError(`Cannot update ${paths.settings}: ${err.message}; fix or move it first`);
  }
  const mdBefore = await readIfExists(paths.md);
  const mdAfter = setSection(mdBefore, agentMeshSection(o.name, o.role));
  const changes = [
    { path: paths.mcp, before: mcpBefore, after: mcpAfter },
    { path: paths.settings, before: settingsBefore, after: settingsAfter },
    { path: paths.md, before: mdBefore, after: mdAfter },
  ];
  return changes;
}
