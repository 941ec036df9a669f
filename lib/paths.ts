/**
 * Local files of an agent, all inside the agent-mesh home. Names are checked
 * against the agent-name rule first, so no name can reach a path elsewhere.
 */
import { basename, dirname, join, resolve } from "node:path";
import { checkName } from "./names.ts";
import { MeshError } from "./errors.ts";

/** The kinds of per-agent file, as the original named them. */
export type AgentFileKind = "cursor" | "groupCursor" | "notify" | "pending" | "monitorLock";

const FILE_NAMES: Record<AgentFileKind, (name: string) => string> = {
  cursor: (n) => `${n}.id`,
  groupCursor: (n) => `${n}_group.id`,
  notify: (n) => `notify-${n}.log`,
  pending: (n) => `pending-${n}.jsonl`,
  monitorLock: (n) => `monitor-${n}.lock`,
};

/** Path of one agent's file of `kind` inside `home`. */
export function agentFile(home: string, kind: AgentFileKind, name: string): string {
  checkName(name);
  const file = FILE_NAMES[kind](name);
  const path = join(home, file);
  // Belt and braces: the checked name cannot contain separators, but make sure.
  if (resolve(dirname(path)) !== resolve(home) || basename(path) !== file) {
    throw new MeshError(`Refusing a path outside the agent-mesh home: ${path}`);
  }
  return path;
}

/** Creates the home folder when missing. */
export function ensureHome(home: string): void {
  Deno.mkdirSync(home, { recursive: true });
}
