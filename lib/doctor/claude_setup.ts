/**
 * What a folder's Claude Code files say about agent-mesh: the "agent-mesh" MCP
 * server entry Claude Code would use there (and whether it is approved), and
 * agent-mesh's hooks, each with its command line read back.
 */
import { redactUrl } from "../config.ts";
import { isOurs } from "../setup/hooks.ts";
import { SERVER_NAME } from "../setup/mcp_json.ts";
import {
  type ClaudeFiles,
  type JsonFile,
  objectAt,
  type SettingsFile,
  stringsAt,
} from "./claude_files.ts";
import type { HookFacts, ServerFacts } from "./report.ts";
import { type CommandLine, flagValue, parseCommandLine } from "./shell_words.ts";

/** The server entry found, and its command line to check. */
export interface FoundServer {
  facts: ServerFacts;
  /** A stdio entry's command line (undefined for HTTP). */
  line?: CommandLine;
}

/** A hook found, with its command line. */
export interface FoundHook {
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
export function approval(files: ClaudeFiles): "approved" | "disabled" | "unapproved" {
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

export function readServer(files: ClaudeFiles): FoundServer | null {
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

export function readHooks(settings: SettingsFile[]): FoundHook[] {
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
