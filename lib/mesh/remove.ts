/** `agent-mesh rm NAME`: everything the mesh keeps for one agent, gone. */
import { agentFile, type AgentFileKind } from "../paths.ts";
import type { Mesh } from "./mesh.ts";
import { forgetAgent } from "./states.ts";

/** What `removeAgent` found and removed. */
export interface Removed {
  inbox: boolean;
  registered: boolean;
  states: number;
  files: number;
}

const LOCAL_FILES: AgentFileKind[] = ["cursor", "groupCursor", "notify", "pending"];

/**
 * Deletes `name`'s inbox (and with it the consumer group on it), its registration,
 * the states of messages to it, and its local files (cursors, notify log, ledger).
 * Its consumer group on the group stream stays (the storage port has no way to
 * drop one); a new agent of that name only resumes group traffic from there.
 */
export async function removeAgent(mesh: Mesh, name: string): Promise<Removed> {
  const inbox = (await mesh.store.del(mesh.keys.inbox(name))) > 0;
  const registered = (await mesh.store.del(mesh.keys.registry(name))) > 0;
  const states = await forgetAgent(mesh, name);
  let files = 0;
  for (const kind of LOCAL_FILES) {
    try {
      await Deno.remove(agentFile(mesh.config.home, kind, name));
      files++;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return { inbox, registered, states, files };
}
