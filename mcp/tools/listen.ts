import type { McpServer } from "../sdk.ts";
import { z } from "../sdk.ts";
import { nextDirect } from "../../lib/mesh/listen.ts";
import { renewAndChase } from "../../lib/mesh/chase.ts";
import { markListening, unmarkListening } from "../../lib/mesh/presence.ts";
import { logError, ownName, type SessionContext, structured } from "../context.ts";
import { MAX_WAIT_S, messageSchema, nameField, secondsField, toolMessage } from "../schemas.ts";
import { type ToolExtra, waiting } from "../wait.ts";

/** Input of a listen tool waiting `fallbackS` seconds by default. */
export function listenInput(fallbackS: number) {
  return {
    name: nameField("name", "Your agent name: the inbox to read"),
    timeout_s: secondsField("timeout_s", fallbackS, MAX_WAIT_S, "How long to wait for a message"),
  };
}

/** Output of both listen tools. */
export const listenOutput = {
  message: messageSchema.nullable().describe("The message, or null when none came in time"),
};

/**
 * Takes the next DIRECT message of `name` from its saved position, and
 * acknowledges it only once the response carrying it has reached the client: a
 * cancelled call leaves it in the inbox (given out again after the lease).
 */
export async function listenOnce(
  session: SessionContext,
  extra: ToolExtra,
  args: { name: string; timeout_s: number },
  tool: string,
) {
  ownName(session, args.name, { tool });
  let signal: AbortSignal | undefined;
  const delivery = await waiting(
    session,
    extra,
    { timeoutS: args.timeout_s, maxS: MAX_WAIT_S, what: `waiting for a message to ${args.name}` },
    async (w) => {
      signal = w.signal;
      // While it waits, `who` shows that something listens for the name.
      const wait = Math.min(args.timeout_s, MAX_WAIT_S);
      if (wait > 0) await markListening(session.mesh, args.name, "mesh_listen", wait + 5);
      try {
        return await nextDirect(session.mesh, args.name, { ...w, reader: { kind: "mesh_listen" } });
      } finally {
        if (wait > 0) {
          await unmarkListening(session.mesh, args.name, "mesh_listen").catch(() => {});
        }
      }
    },
  );
  if (!delivery) {
    // Like the CLI's listen: renew the registration and re-ping overdue entries.
    if (!signal?.aborted) {
      await renewAndChase(session.mesh, args.name).catch((err) => logError("renew and chase", err));
    }
    return structured({ message: null });
  }
  if (signal?.aborted) return structured({ message: null }); // never sent: left unacknowledged
  session.sent(extra.requestId, signal!).then((sent) => sent ? delivery.ack() : undefined)
    .catch((err) => logError(`acknowledging a message to ${args.name}`, err));
  return structured({ message: toolMessage(delivery.message) });
}

/** Built once: zod schemas are costly to make per session. */
const CONFIG = {
  title: "Wait for a message",
  description:
    "Wait for your next direct message, including any sent while you were not listening; returns one " +
    "message at a time. A message with reply_to is a request: answer it with mesh_reply.",
  inputSchema: z.object(listenInput(30)),
  outputSchema: z.object(listenOutput),
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
};

/** Registers `mesh_listen`: waits for the next direct message. */
export function registerListenTool(server: McpServer, session: SessionContext): void {
  server.registerTool(
    "mesh_listen",
    CONFIG,
    (args, extra) => listenOnce(session, extra, args, "mesh_listen"),
  );
}
