/**
 * The Claude Code files that decide how a session started in a folder joins
 * the mesh: its MCP servers (`./.mcp.json`, `~/.claude.json` for the user and
 * for this folder), its settings (`./.claude/settings.json`,
 * `./.claude/settings.local.json`, `~/.claude/settings.json`) and CLAUDE.md.
 * Only read, never written.
 */
import { join } from "node:path";
import type { Problem } from "./report.ts";

/** A JSON file: its path, and its object when it exists and parses as one. */
export interface JsonFile {
  path: string;
  /** True when the file exists. */
  exists: boolean;
  doc: Record<string, unknown> | null;
}

/** A settings file and the scope Claude Code reads it in. */
export interface SettingsFile extends JsonFile {
  scope: "project" | "local" | "user";
}

/** Every file read, and the problems of files that exist but cannot be used. */
export interface ClaudeFiles {
  folder: string;
  /** `./.mcp.json`. */
  mcp: JsonFile;
  /** `~/.claude.json`; null when there is no home folder. */
  user: JsonFile | null;
  /** Settings files in the order project, local, user. */
  settings: SettingsFile[];
  /** The CLAUDE.md files that could hold the "## Agent Mesh" section. */
  claudeMd: string[];
  problems: Problem[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function reason(err: unknown): string {
  return ((err as Error).message ?? String(err)).replace(/\s*\n\s*/g, " ")
    .replace(/,\s*".*" is not valid JSON$/s, "");
}

async function readJson(path: string, problems: Problem[]): Promise<JsonFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { path, exists: false, doc: null };
    problems.push({
      check: "file",
      problem: `Cannot read ${path}: ${reason(err)}`,
      fix: "make it readable, or move it away",
    });
    return { path, exists: true, doc: null };
  }
  if (text.trim() === "") return { path, exists: true, doc: null };
  try {
    const doc = JSON.parse(text.replace(/^\uFEFF/, ""));
    if (isObject(doc)) return { path, exists: true, doc };
    problems.push({
      check: "file",
      problem: `${path} is not a JSON object: Claude Code ignores it`,
      fix: "fix it, or move it away and run setup again",
    });
  } catch (err) {
    problems.push({
      check: "file",
      problem: `${path} is not valid JSON (${reason(err)}): Claude Code ignores it`,
      fix: "fix it, or move it away and run setup again",
    });
  }
  return { path, exists: true, doc: null };
}

/** Reads the Claude Code files of `folder` and of the user's home (when known). */
export async function readClaudeFiles(folder: string, home: string | null): Promise<ClaudeFiles> {
  const problems: Problem[] = [];
  const mcp = await readJson(join(folder, ".mcp.json"), problems);
  const user = home === null ? null : await readJson(join(home, ".claude.json"), problems);
  const settings: SettingsFile[] = [
    { ...(await readJson(join(folder, ".claude", "settings.json"), problems)), scope: "project" },
    {
      ...(await readJson(join(folder, ".claude", "settings.local.json"), problems)),
      scope: "local",
    },
  ];
  // In the home folder itself, the project's settings are the user's: read once.
  if (home !== null && join(home, ".claude", "settings.json") !== settings[0].path) {
    settings.push({
      ...(await readJson(join(home, ".claude", "settings.json"), problems)),
      scope: "user",
    });
  }
  const claudeMd = [join(folder, "CLAUDE.md")];
  if (home !== null) claudeMd.push(join(home, ".claude", "CLAUDE.md"));
  return { folder, mcp, user, settings, claudeMd, problems };
}

/** `doc[key]` when it is an object. */
export function objectAt(doc: unknown, key: string): Record<string, unknown> | null {
  if (!isObject(doc)) return null;
  const v = doc[key];
  return isObject(v) ? v : null;
}

/** `doc[key]` when it is an array of strings, else empty. */
export function stringsAt(doc: unknown, key: string): string[] {
  if (!isObject(doc)) return [];
  const v = doc[key];
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
}

/** True when some CLAUDE.md of `files` has the "## Agent Mesh" section. */
export async function hasMeshSection(files: ClaudeFiles): Promise<boolean> {
  for (const path of files.claudeMd) {
    try {
      if (/^## Agent Mesh\s*$/m.test(await Deno.readTextFile(path))) return true;
    } catch { /* missing or unreadable: no section there */ }
  }
  return false;
}
