/**
 * The Claude Code hooks that `setup claude-code` writes into the settings file of
 * its scope (`.claude/settings.json`, or `~/.claude/settings.json`): one
 * `agent-mesh hook EVENT --as NAME` per event. They reach the model on every
 * install (API key, Bedrock, Vertex, claude.ai), where channels do not.
 *
 * Setting them again replaces agent-mesh's own entries (found by their command)
 * and keeps every other hook of the file.
 */
import { HOOK_EVENTS, type HookEvent } from "../hooks/input.ts";
import { BadConfigFile, setJsonPath } from "./mcp_json.ts";

/** How long Claude Code lets an inject hook run, in seconds. */
const INJECT_TIMEOUT_S = 30;
/**
 * The Stop hook's waiter runs in the background until a message comes; Claude
 * Code would end it after its timeout, and the idle session would then sleep
 * through messages until its next turn. A day, then.
 */
const WAITER_TIMEOUT_S = 86_400;

/** One hook of Claude Code's settings. */
export interface CommandHook {
  type: "command";
  command: string;
  timeout: number;
  async?: boolean;
  asyncRewake?: boolean;
}

/** A matcher group of Claude Code's settings. */
export interface HookGroup {
  matcher?: string;
  hooks: CommandHook[];
}

/** Quotes one word for a POSIX shell (Claude Code runs hook commands with one). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The shell command of agent-mesh's hook for `event`. */
export function hookCommand(
  self: { command: string; args: string[] },
  event: HookEvent,
  name: string,
  role: string | undefined,
  env: Record<string, string>,
): string {
  // `deno run -q`: a first run's download lines must not reach the model (Stop's stderr does).
  const args = self.args[0] === "run" ? ["run", "-q", ...self.args.slice(1)] : self.args;
  // `exec`: the hook process replaces the shell Claude Code runs it with, so that
  // its parent is Claude Code itself (the Stop waiter ends when that parent goes).
  const words = [
    ...Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`),
    "exec",
    ...[self.command, ...args, "hook", event, "--as", name].map(shellQuote),
    ...(role && event === "SessionStart" ? ["--role", shellQuote(role)] : []),
  ];
  return words.join(" ");
}

/** The group agent-mesh adds to `event`. */
export function hookGroup(event: HookEvent, command: string): HookGroup {
  const hook: CommandHook = event === "Stop"
    ? { type: "command", command, timeout: WAITER_TIMEOUT_S, async: true, asyncRewake: true }
    : { type: "command", command, timeout: INJECT_TIMEOUT_S };
  return { hooks: [hook] };
}

/** True for a hook command written by agent-mesh's setup (any agent, any path). */
export function isOurs(command: unknown): boolean {
  return typeof command === "string" &&
    new RegExp(`\\bhook (${HOOK_EVENTS.join("|")}) --as `).test(command);
}

function withoutOurs(groups: unknown): unknown[] {
  if (!Array.isArray(groups)) return [];
  return groups.flatMap((g) => {
    if (!g || typeof g !== "object" || !Array.isArray((g as HookGroup).hooks)) return [g];
    const kept = (g as HookGroup).hooks.filter((h) => !isOurs(h?.command));
    if (kept.length === (g as HookGroup).hooks.length) return [g];
    return kept.length ? [{ ...(g as HookGroup), hooks: kept }] : [];
  });
}

/**
 * The settings text `old` with agent-mesh's hooks set for agent `name`. Throws
 * BadConfigFile when `old` is not a JSON object or its `hooks` is not one.
 */
export function setHooks(
  old: string | undefined,
  commandFor: (event: HookEvent) => string,
): string {
  let current: Record<string, unknown> = {};
  if (old !== undefined && old.trim() !== "") {
    let doc: unknown;
    try {
      doc = JSON.parse(old.replace(/^\uFEFF/, ""));
    } catch {
      throw new BadConfigFile("not valid JSON");
    }
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
      throw new BadConfigFile("not a JSON object");
    }
    const hooks = (doc as Record<string, unknown>).hooks;
    if (hooks !== undefined && (!hooks || typeof hooks !== "object" || Array.isArray(hooks))) {
      throw new BadConfigFile('"hooks" is not an object');
    }
    current = (hooks ?? {}) as Record<string, unknown>;
  }
  let text = old;
  for (const event of HOOK_EVENTS) {
    const groups = [...withoutOurs(current[event]), hookGroup(event, commandFor(event))];
    text = setJsonPath(text, ["hooks", event], groups);
  }
  return text ?? "";
}
