/**
 * The notify log: every DIRECT message a listener shows is also appended to
 * `notify-<name>.log` in the agent-mesh home, the file a harness can watch.
 */
import { dirname } from "node:path";
import { agentFile, ensureHome } from "../paths.ts";
import type { Mesh } from "./mesh.ts";
import { type Message, notifyLine } from "./message.ts";

/** Notify logs this process already warned about: one warning each, not one per message. */
const notifyWarned = new Set<string>();

/**
 * Appends a DIRECT message to `notify-<name>.log`, the file a harness can watch.
 * A side log never blocks delivery: when it cannot be written, this warns once per
 * process on stderr and returns, so that the message is still shown and acknowledged.
 */
export async function appendNotify(mesh: Mesh, name: string, message: Message): Promise<void> {
  let path = `notify-${name}.log`;
  try {
    path = agentFile(mesh.config.home, "notify", name);
    ensureHome(dirname(path));
    await Deno.writeTextFile(path, notifyLine(message), { append: true, mode: 0o600 });
  } catch (err) {
    if (notifyWarned.has(path)) return;
    notifyWarned.add(path);
    const why = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    console.error(
      `agent-mesh: cannot write the notify log "${path}", delivering without it: ${why}`,
    );
  }
}
