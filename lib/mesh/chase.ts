/**
 * What a listener does while it waits: renew its registration, re-ping the
 * peers that owe it a reply, and escalate the hopeless cases.
 */
import { type OverdueAction, planOverdue } from "./ledger.ts";
import type { Mesh } from "./mesh.ts";
import { renew, who } from "./presence.ts";

/** How often a waiting listener renews and chases (monitor, bound MCP sessions). */
export const CHASE_EVERY_MS = 10_000;

/**
 * Idle-time duties of a listener of `name`: re-ping overdue ledger entries and
 * escalate hopeless ones, and renew the registration (registering when `register`).
 */
export async function renewAndChase(
  mesh: Mesh,
  name: string,
  register = false,
): Promise<OverdueAction[]> {
  await renew(mesh, name, register);
  return await chaseOverdue(mesh, name);
}

/**
 * Re-pings the overdue entries of `name`'s ledger (backoff: AGENT_MESH_REPING_S)
 * and escalates hopeless ones to AGENT_MESH_ESCALATE_TO; returns what it did,
 * each with its recipient, and for an escalation whether anyone is there to hear it.
 */
export async function chaseOverdue(mesh: Mesh, name: string): Promise<OverdueAction[]> {
  const ledger = mesh.ledger(name);
  if (!ledger.exists()) return [];
  const actions = await ledger.update((entries) => {
    const plan = planOverdue(entries, mesh.now() / 1000, mesh.config.repingS);
    return { entries: plan.entries, result: plan.actions, write: plan.actions.length > 0 };
  });
  for (const action of actions) {
    const { kind, entry } = action;
    const msg = kind === "reping" ? { to: entry.peer, text: `[re-ping] ${entry.note}` } : {
      to: mesh.config.escalateTo,
      text: `[escalate] no reply from ${entry.peer} for: ${entry.note}`,
    };
    action.to = msg.to;
    if (kind === "escalate") {
      const known = await who(mesh, true).catch(() => []);
      action.unheard = !known.some((a) => a.agent === msg.to);
    }
    try {
      await mesh.send({ from: name, ...msg, private: true });
    } catch (err) {
      // One refused re-ping (rate gate) must not stop the others or the listener.
      console.error(`agent-mesh: ${kind} to ${msg.to} failed: ${(err as Error).message}`);
    }
  }
  return actions;
}
