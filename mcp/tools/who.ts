import type { McpServer } from "../sdk.ts";
import { z } from "../sdk.ts";
import { who } from "../../lib/mesh/presence.ts";
import { type SessionContext, structured } from "../context.ts";
import { agentSchema } from "../schemas.ts";

/** Built once: zod schemas are costly to make per session. */
const CONFIG = {
  title: "List agents",
  description: "List the agents registered on the mesh, with their roles. " +
    "Use it to find whom to message; with all, agents that have an inbox but no live registration follow.",
  inputSchema: z.object({
    all: z.boolean({ error: () => 'Invalid "all": expected true or false' })
      .default(false)
      .describe("Also list agents with an inbox but no live registration (online: false)"),
  }),
  outputSchema: z.object({ agents: z.array(agentSchema) }),
  annotations: { readOnlyHint: true, openWorldHint: false },
};

/** Registers `mesh_who`: the registered agents. */
export function registerWhoTool(server: McpServer, session: SessionContext): void {
  server.registerTool("mesh_who", CONFIG, async (args) => {
    const agents = await who(session.mesh, args.all);
    return structured({ agents: agents.map((a) => ({ ...a })) });
  });
}
