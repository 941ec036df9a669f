import type { McpServer } from "../sdk.ts";
import { z } from "../sdk.ts";
import { sender, type SessionContext, structured } from "../context.ts";
import { fromAgent, gatedSend, nameField, sentShape, textField } from "../schemas.ts";

/** Built once: zod schemas are costly to make per session. */
const CONFIG = {
  title: "Send a message",
  description:
    "Send a direct message to one agent's inbox; it is also echoed on the group stream unless private. " +
    "Use it to tell another agent something; use mesh_request instead when you need an answer back. " +
    "ok is false when the rate gate refused the message (AGENT_MESH_GATE_ENFORCE=1).",
  inputSchema: z.object({
    to: nameField("to", "Name of the agent to send to"),
    message: textField("message", "The message text"),
    from_agent: fromAgent,
    private: z.boolean({ error: () => 'Invalid "private": expected true or false' })
      .default(false)
      .describe("Only the target's inbox, no echo on the group stream"),
  }),
  outputSchema: z.object(sentShape),
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
};

/** Registers `mesh_send`: a direct message to one agent. */
export function registerSendTool(server: McpServer, session: SessionContext): void {
  server.registerTool("mesh_send", CONFIG, async (args) => {
    const result = await gatedSend(session.mesh.send({
      from: sender(session, args.from_agent),
      to: args.to,
      text: args.message,
      private: args.private,
    }));
    return structured({ ...result });
  });
}
