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
    "reply is the answer's text, null when none came within the timeout; reply_from names who wrote it, " +
    "and unexpected_author is true when that is not the agent you asked.",
  inputSchema: z.object({
    to: nameField("to", "The agent to ask"),
    message: textField("message", "The request text"),
    from_agent: fromAgent,
    timeout_s: secondsField("timeout_s", 60, MAX_WAIT_S, "How long to wait for the answer"),
  }),
  outputSchema: z.object({
    reply: z.string().nullable().describe("The answer's text (as the original), null on timeout"),
    reply_from: z.string().nullable().describe("Who wrote the answer, null on timeout"),
    reply_ts: z.string().nullable().describe("Answer time, Unix seconds as a decimal string"),
    unexpected_author: z.boolean().describe(
      "True when the answer was written by an agent other than the one asked",
    ),
    warning: z.string().optional().describe("Present when unexpected_author is true"),
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
    if (!reply) {
      return structured({
        reply: null,
        reply_from: null,
        reply_ts: null,
        unexpected_author: false,
      });
    }
    const unexpected = reply.from !== args.to;
    return structured({
      reply: reply.text,
      reply_from: reply.from,
      reply_ts: reply.ts,
      unexpected_author: unexpected,
      ...(unexpected
        ? {
          warning: `This answer was written by "${reply.from}", not by "${args.to}" whom you asked`,
        }
        : {}),
    });
  });
}
