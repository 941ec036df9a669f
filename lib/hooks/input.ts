/**
 * What Claude Code hands a hook on stdin: one JSON object. Only the fields
 * agent-mesh uses are read; anything missing or odd is left out, never trusted
 * into a path (the session id reaches file names only as a hash).
 */
import { UsageError } from "../errors.ts";

/** The hook events agent-mesh handles. */
export const HOOK_EVENTS = [
  "SessionStart",
  "UserPromptSubmit",
  "PostToolUse",
  "Stop",
  "SessionEnd",
] as const;

/** One of HOOK_EVENTS. */
export type HookEvent = typeof HOOK_EVENTS[number];

/** The fields of the hook input that agent-mesh reads. */
export interface HookInput {
  sessionId?: string;
  transcriptPath?: string;
  cwd?: string;
  /** SessionStart: startup, resume, clear or compact. */
  source?: string;
}

/** Largest hook input read, in bytes (a PostToolUse input holds the tool's output). */
const MAX_INPUT = 16 * 1024 * 1024;

/** The event named `raw`, or a UsageError listing the events. */
export function checkEvent(raw: string): HookEvent {
  const hit = HOOK_EVENTS.find((e) => e.toLowerCase() === raw.toLowerCase());
  if (!hit) {
    throw new UsageError(`Unknown hook event "${raw}": expected one of ${HOOK_EVENTS.join(", ")}`);
  }
  return hit;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.length > 0 && v.length <= 4096 ? v : undefined;
}

/** Parses the hook input; empty input (a person trying the command) reads as `{}`. */
export function parseHookInput(text: string): HookInput {
  if (text.trim() === "") return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UsageError("Invalid hook input on stdin: expected the JSON object Claude Code sends");
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    throw new UsageError("Invalid hook input on stdin: expected a JSON object");
  }
  const d = doc as Record<string, unknown>;
  return {
    sessionId: str(d.session_id),
    transcriptPath: str(d.transcript_path),
    cwd: str(d.cwd),
    source: str(d.source),
  };
}

/** Reads all of stdin (bounded); nothing when stdin is a terminal. */
export async function readStdin(): Promise<string> {
  if (Deno.stdin.isTerminal()) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of Deno.stdin.readable) {
    size += chunk.length;
    if (size > MAX_INPUT) throw new UsageError(`Hook input over ${MAX_INPUT} bytes`);
    chunks.push(chunk);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}
