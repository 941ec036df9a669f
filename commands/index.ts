/**
 * The commands, in the order of the main help. Each is one file,
 * `commands/<name>.ts`, whose default export is its `defineCommand(...)`:
 * adding a command is that file plus its name here.
 */
import { UsageError } from "../lib/errors.ts";
import type { Command } from "./_cli/define.ts";
import { lazyImport } from "./_cli/lazy.ts";
import { didYouMean } from "./_cli/suggest.ts";

/** Every command's name. */
export const COMMAND_NAMES: readonly string[] = [
  "send",
  "broadcast",
  "listen",
  "monitor",
  "ping",
  "request",
  "reply",
  "ack",
  "pending",
  "register",
  "deregister",
  "who",
  "history",
  "status",
  "tail",
  "rm",
  "serve",
  "dashboard",
  "token",
  "setup",
  "hook",
  "doctor",
  "demo",
  "help",
];

/** The definition of command `name`; a UsageError naming the closest command when none. */
export async function loadCommand(name: string): Promise<Command> {
  if (!COMMAND_NAMES.includes(name)) {
    throw new UsageError(
      `Unknown command "${name}"${didYouMean(name, COMMAND_NAMES) || ' (see "agent-mesh --help")'}`,
    );
  }
  // Only the one definition is read: a command's call loads no other command.
  const mod = await lazyImport<{ default: Command }>(`./${name}.ts`, import.meta.url);
  return mod.default;
}

/** Every definition, in list order. */
export function loadAll(): Promise<Command[]> {
  return Promise.all(COMMAND_NAMES.map(loadCommand));
}
