import type { McpServer } from "../sdk.ts";
import { z } from "../sdk.ts";
import { deregister } from "../../lib/mesh/presence.ts";
import { ownName, type SessionContext, structured } from "../context.ts";
import { nameField } from "../schemas.ts";

/** Built once: zod schemas are costly to make per session. */
const CONFIG = {
  title: "Deregister an agent",
  description: "Remove an agent name from the registry, so that mesh_who no longer lists it. " +
    "Use it when an agent stops for good; its inbox is kept.",
  inputSchema: z.object({ name: nameField("name", "The agent name to remove") }),
  outputSchema: z.object({
    ok: z.literal(true),
    removed: z.boolean().describe("False when the name was not registered"),
  }),
  annotations: {
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: false,
  },
};

/** Registers `mesh_deregister`: removes an agent from the registry. */
export function registerDeregisterTool(server: McpServer, session: SessionContext): void {
  server.registerTool("mesh_deregister", CONFIG, async (args) => {
    ownName(session, args.name, { tool: "mesh_deregister" });
    const removed = await deregister(session.mesh, args.name);
    return structured({ ok: true as const, removed });
  });
}
