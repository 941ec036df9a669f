import type { McpServer } from "../sdk.ts";
import { z } from "../sdk.ts";
import { history } from "../../lib/mesh/history.ts";
import { ownName, type SessionContext, structured } from "../context.ts";
import { MAX_HISTORY, messageSchema, nameField, toolMessage } from "../schemas.ts";

/** Built once: zod schemas are costly to make per session. */
const CONFIG = {
  title: "Recent messages",
  description:
    "Read the most recent messages of your inbox or of the group stream, oldest first, without " +
    "consuming them (mesh_listen still returns unread ones). Use it to catch up on context.",
  inputSchema: z.object({
    name: nameField("name", "Your agent name (whose inbox to read)"),
    scope: z.enum(["inbox", "group"], {
      error: () => 'Invalid "scope": expected "inbox" or "group"',
    }).default("inbox").describe('"inbox": your direct messages; "group": the group stream'),
    limit: z.number({ error: () => 'Invalid "limit": expected a number' })
      .int({ error: () => 'Invalid "limit": expected a whole number' })
      .min(1, { error: () => 'Invalid "limit": expected 1 or more' })
      .default(20)
      .describe(
        `How many messages (default 20, at most ${MAX_HISTORY}: larger values are clamped)`,
      ),
  }),
  outputSchema: z.object({ messages: z.array(messageSchema) }),
  annotations: { readOnlyHint: true, openWorldHint: false },
};

/** Registers `mesh_history`: recent messages, read without taking them. */
export function registerHistoryTool(server: McpServer, session: SessionContext): void {
  server.registerTool("mesh_history", CONFIG, async (args) => {
    const limit = Math.min(args.limit, MAX_HISTORY);
    // The group stream is everyone's: only an inbox is someone's own.
    if (args.scope === "inbox") ownName(session, args.name, { tool: "mesh_history", view: true });
    const messages = await history(session.mesh, args.name, args.scope, limit);
    return structured({ messages: messages.map(toolMessage) });
  });
}
