import type { McpServer } from "../sdk.ts";
import { z } from "../sdk.ts";
import { sender, type SessionContext, structured } from "../context.ts";
import { fromAgent, textField } from "../schemas.ts";

/** Built once: zod schemas are costly to make per session. */
const CONFIG = {
  title: "Answer a request",
  description: "Answer a request you received: a message with a reply_to key. " +
    "Pass that key as reply_to; the requester's mesh_request (or CLI request) returns your text.",
  inputSchema: z.object({
    reply_to: textField(
      "reply_to",
      "The reply_to key of the request, like mesh:reply:<32 hex characters>",
    ),
    text: textField("text", "Your answer"),
    from_agent: fromAgent,
  }),
  outputSchema: z.object({ ok: z.literal(true) }),
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
};

/** Registers `mesh_reply`: the answer to a request. */
export function registerReplyTool(server: McpServer, session: SessionContext): void {
  server.registerTool("mesh_reply", CONFIG, async (args) => {
    const result = await session.mesh.reply({
      from: sender(session, args.from_agent),
      replyTo: args.reply_to,
      text: args.text,
    });
    return structured({ ...result });
  });
}
