import type { McpServer } from "../sdk.ts";
import { z } from "../sdk.ts";
import { sender, type SessionContext, structured } from "../context.ts";
import { fromAgent, MAX_PING_S, nameField, secondsField } from "../schemas.ts";
import { waiting } from "../wait.ts";

/** Built once: zod schemas are costly to make per session. */
const CONFIG = {
  title: "Ping an agent",
  description: "Check whether an agent is listening right now and measure the round trip. " +
    "ok is false when no listener answered within the timeout.",
  inputSchema: z.object({
    agent: nameField("agent", "The agent to ping"),
    timeout_s: secondsField("timeout_s", 5, MAX_PING_S, "How long to wait for the pong"),
    from_agent: fromAgent,
  }),
  outputSchema: z.object({
    ok: z.boolean().describe("True when a listener answered"),
    latency_ms: z.number().int().describe(
      "Round trip in whole ms, -1 on timeout (as the original)",
    ),
    from: z.string().optional().describe("The listener that answered"),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
};

/** Registers `mesh_ping`: is an agent listening, and how fast does it answer. */
export function registerPingTool(server: McpServer, session: SessionContext): void {
  server.registerTool("mesh_ping", CONFIG, async (args, extra) => {
    const result = await waiting(
      session,
      extra,
      { timeoutS: args.timeout_s, maxS: MAX_PING_S, what: `waiting for a pong from ${args.agent}` },
      (w) => session.mesh.ping({ from: sender(session, args.from_agent), to: args.agent, ...w }),
    );
    return structured(
      result.ok
        ? { ok: true, latency_ms: Math.round(result.latency_ms ?? 0), from: result.from }
        : { ok: false, latency_ms: -1 },
    );
  });
}
