import type { McpServer } from "../sdk.ts";
import { z } from "../sdk.ts";
import { sender, type SessionContext, structured } from "../context.ts";
import { fromAgent, MAX_WAIT_S, nameField, secondsField, textField } from "../schemas.ts";
import { waiting } from "../wait.ts";

/** Built once: zod schemas are costly to make per session. */
const CONFIG = {
  title: "Ask and wait for the answer",
  description:
    "Send a request to an agent and wait for its answer (given with mesh_reply or the CLI reply). " +
    "reply is null when no answer came within the timeout.",
  inputSchema: z.object({
    to: nameField("to", "The agent to ask"),
    message: textField("message", "The request text"),
    from_agent: fromAgent,
    timeout_s: secondsField("timeout_s", 60, MAX_WAIT_S, "How long to wait for the answer"),
  }),
  outputSchema: z.object({
    reply: z.object({
      from: z.string().describe("Who answered"),
      text: z.string().describe("The answer"),
      ts: z.string().describe("Answer time, Unix seconds as a decimal string"),
    }).nullable(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
};

/** Registers `mesh_request`: a question that waits for its answer. */
export function registerRequestTool(server: McpServer, session: SessionContext): void {
  server.registerTool("mesh_request", CONFIG, async (args, extra) => {
    const { reply } = await waiting(
      session,
      extra,
      { timeoutS: args.timeout_s, maxS: MAX_WAIT_S, what: `waiting for a reply from ${args.to}` },
      (w) =>
        session.mesh.request({
          from: sender(session, args.from_agent),
          to: args.to,
          text: args.message,
          ...w,
        }),
    );
    return structured({ reply: reply ? { ...reply } : null });
  });
}
