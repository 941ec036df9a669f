/** Registers every agent-mesh tool on one session's server. */
import type { McpServer } from "../sdk.ts";
import type { SessionContext } from "../context.ts";
import { registerAckTool } from "./ack.ts";
import { registerBroadcastTool } from "./broadcast.ts";
import { registerDeregisterTool } from "./deregister.ts";
import { registerHistoryTool } from "./history.ts";
import { registerListenTool } from "./listen.ts";
import { registerListenOnceTool } from "./listen_once.ts";
import { registerPendingTool } from "./pending.ts";
import { registerPingTool } from "./ping.ts";
import { registerRegisterTool } from "./register.ts";
import { registerReplyTool } from "./reply.ts";
import { registerRequestTool } from "./request.ts";
import { registerSendTool } from "./send.ts";
import { registerStatusTool } from "./status.ts";
import { registerWhoTool } from "./who.ts";

/** Registers all tools, the original's seven first. */
export function registerTools(server: McpServer, session: SessionContext): void {
  registerSendTool(server, session);
  registerPingTool(server, session);
  registerWhoTool(server, session);
  registerRegisterTool(server, session);
  registerListenOnceTool(server, session);
  registerRequestTool(server, session);
  registerPendingTool(server, session);
  registerReplyTool(server, session);
  registerAckTool(server, session);
  registerBroadcastTool(server, session);
  registerDeregisterTool(server, session);
  registerListenTool(server, session);
  registerHistoryTool(server, session);
  registerStatusTool(server, session);
}
