import type { McpServer } from "../sdk.ts";
import { z } from "../sdk.ts";
import { ownName, type SessionContext, structured } from "../context.ts";
import { ledgerEntrySchema, nameField } from "../schemas.ts";

/** Built once: zod schemas are costly to make per session. */
const CONFIG = {
  title: "Pending replies",
  description:
    "List an agent's sent messages that still wait for a reply (sent with expect-reply from the CLI), " +
    "with deadlines and re-ping counts. Use it to see whom you are waiting for.",
  inputSchema: z.object({ name: nameField("name", "The sender whose pending ledger to read") }),
  outputSchema: z.object({ entries: z.array(ledgerEntrySchema) }),
  annotations: { readOnlyHint: true, openWorldHint: false },
};

/** Registers `mesh_pending`: an agent's messages still waiting for a reply. */
export function registerPendingTool(server: McpServer, session: SessionContext): void {
  server.registerTool("mesh_pending", CONFIG, async (args) => {
    ownName(session, args.name, { tool: "mesh_pending", view: true });
    const entries = await session.mesh.ledger(args.name).list();
    return structured({ entries: entries.map((e) => ({ ...e })) });
  });
}
