import type { McpServer } from "../sdk.ts";
import { z } from "../sdk.ts";
import { status } from "../../lib/mesh/states.ts";
import { type SessionContext, structured } from "../context.ts";

const markSchema = z.object({
  ts: z.string(),
  reader: z.string().optional(),
  session: z.string().optional(),
});

/** Built once: zod schemas are costly to make per session. */
const CONFIG = {
  title: "What happened to a message",
  description:
    "Show the state of a message you sent, by its id (from mesh_send or mesh_request): queued " +
    "(waiting in the inbox), taken (by which reader and session), delivered (shown to its reader) " +
    "or seen (in a Claude Code session's transcript). status is null when nothing is kept for the id.",
  inputSchema: z.object({
    id: z.string({ error: () => 'Invalid "id": expected the message id as text' })
      .regex(
        /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/,
        { error: () => 'Invalid "id": expected a UUID or 32 hex characters' },
      )
      .describe("The message id"),
  }),
  outputSchema: z.object({
    status: z.object({
      id: z.string(),
      from: z.string(),
      to: z.string(),
      kind: z.string(),
      ts: z.string(),
      text: z.string(),
      state: z.enum(["queued", "taken", "delivered", "seen"]),
      marks: z.record(z.string(), markSchema),
    }).nullable(),
  }),
  annotations: { readOnlyHint: true, openWorldHint: false },
};

/** Registers `mesh_status`: the state of one message. */
export function registerStatusTool(server: McpServer, session: SessionContext): void {
  server.registerTool("mesh_status", CONFIG, async (args) => {
    return structured({ status: await status(session.mesh, args.id) });
  });
}
