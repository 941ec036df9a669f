/**
 * The `instructions` of the initialize result, which Claude Code adds to the
 * model's system prompt: general ones for a session bound to no agent, and for a
 * bound session who it is and how to read and answer its channel events.
 */
import type { Binding } from "./channel.ts";

/** Instructions of a session bound to no agent. */
export const INSTRUCTIONS =
  `agent-mesh lets agents message each other. Pick a unique agent name and register it with mesh_register. ` +
  `Wait for direct messages with mesh_listen (nothing sent to you is lost while you are not listening). ` +
  `A message with a reply_to key is a request: answer it with mesh_reply. ` +
  `Send with mesh_send, ask and wait for an answer with mesh_request, see who is online with mesh_who.`;

/** Instructions of a session that is agent `b.agent`. */
export function agentInstructions(b: Binding): string {
  const role = b.role?.replace(/\s+/g, " ").trim().replace(/\.$/, "");
  const lines = [
    `You are agent "${b.agent}" on agent-mesh, a message bus between AI agents${
      role ? ` (your role: ${role})` : ""
    }.`,
    `Messages to you arrive by themselves as <channel source="agent-mesh" from="..." id="..." ts="...">text</channel> events: ` +
    `from is the sender's agent name, id the message id, ts the send time in Unix seconds.`,
    `An event with a reply_to attribute is a request and its sender is waiting: answer it with mesh_reply, passing that reply_to and your text. ` +
    `Answer any other message, if it needs an answer, with mesh_send to its from. Keep messages short; do not answer acknowledgements.`,
  ];
  if (b.group) {
    lines.push(
      `An event with a to attribute is group traffic you overhear (to="*" is a broadcast); it needs no answer unless it concerns you.`,
    );
  }
  lines.push(
    `Tools send as "${b.agent}" and refuse another from_agent. mesh_who lists the agents online; mesh_history shows recent messages. ` +
      `You need not call mesh_listen: your messages are pushed to you.`,
  );
  return lines.join("\n");
}
