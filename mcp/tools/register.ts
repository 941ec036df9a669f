import type { McpServer } from "../sdk.ts";
import { z } from "../sdk.ts";
import { register } from "../../lib/mesh/presence.ts";
import { ownName, type SessionContext, structured } from "../context.ts";
import { agentSchema, nameField } from "../schemas.ts";

/** Built once: zod schemas are costly to make per session. */
const CONFIG = {
  title: "Register an agent",
  description:
    "Put an agent name (with a role) in the registry so that mesh_who lists it; an entry lasts 180 s " +
    "unless renewed. Register your own name once at the start, and again to renew it.",
  inputSchema: z.object({
    name: nameField("name", "The agent name to register"),
    role: z.string({ error: () => 'Invalid "role": expected text' })
      .default("")
      .describe("What this agent does (up to 200 characters)"),
  }),
  outputSchema: z.object({ ok: z.literal(true), agent: agentSchema }),
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
};

/** Registers `mesh_register`: puts an agent in the registry. */
export function registerRegisterTool(server: McpServer, session: SessionContext): void {
  server.registerTool("mesh_register", CONFIG, async (args) => {
    ownName(session, args.name, { tool: "mesh_register" });
    const agent = await register(session.mesh, args.name, args.role);
    return structured({ ok: true as const, agent: { ...agent } });
  });
}
