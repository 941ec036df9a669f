import type { McpServer } from "../sdk.ts";
import { z } from "../sdk.ts";
import { sender, type SessionContext, structured } from "../context.ts";
import { fromAgent, gatedSend, sentShape, textField } from "../schemas.ts";

/** Built once: zod schemas are costly to make per session. */
const CONFIG = {
  title: "Broadcast to the group",
  description:
    "Post a message on the group stream, seen by every agent that listens to the group (not by mesh_listen). " +
    "Use it for announcements meant for everyone; use mesh_send for one agent.",
  inputSchema: z.object({
    message: textField("message", "The message text"),
    from_agent: fromAgent,
  }),
  outputSchema: z.object(sentShape),
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
};

/** Registers `mesh_broadcast`: a message on the group stream, for every agent. */
export function registerBroadcastTool(server: McpServer, session: SessionContext): void {
  server.registerTool("mesh_broadcast", CONFIG, async (args) => {
    const result = await gatedSend(session.mesh.broadcast({
      from: sender(session, args.from_agent),
      text: args.message,
    }));
    return structured({ ...result });
  });
}
