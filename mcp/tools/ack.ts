import type { McpServer } from "../sdk.ts";
import { z } from "../sdk.ts";
import { sender, type SessionContext, structured } from "../context.ts";
import { fromAgent, nameField, sentShape, textField } from "../schemas.ts";

/** Built once: zod schemas are costly to make per session. */
const CONFIG = {
  title: "Acknowledge a peer",
  description: 'Clear your pending-reply entries for a peer and send it "ACK: <text>" privately. ' +
    "Use it when a peer answered a message you sent expecting a reply (see mesh_pending).",
  inputSchema: z.object({
    peer: nameField("peer", "The agent to acknowledge"),
    text: textField("text", "Short acknowledgement text"),
    from_agent: fromAgent,
  }),
  outputSchema: z.object({
    ...sentShape,
    cleared: z.number().describe("Pending entries removed"),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
};

/** Registers `mesh_ack`: clears pending entries for a peer and tells it so. */
export function registerAckTool(server: McpServer, session: SessionContext): void {
  server.registerTool("mesh_ack", CONFIG, async (args) => {
    const result = await session.mesh.ack({
      from: sender(session, args.from_agent),
      peer: args.peer,
      text: args.text,
    });
    return structured({ ...result });
  });
}
