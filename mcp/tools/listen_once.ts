import type { McpServer } from "../sdk.ts";
import { z } from "../sdk.ts";
import type { SessionContext } from "../context.ts";
import { listenInput, listenOnce, listenOutput } from "./listen.ts";

/** Built once: zod schemas are costly to make per session. */
const CONFIG = {
  title: "Wait for a message (original name)",
  description:
    "Same as mesh_listen, kept under the original tool's name: waits for your next direct message, " +
    "including any sent while you were not listening. Waits 5 s by default, as the original. Prefer mesh_listen.",
  inputSchema: z.object(listenInput(5)),
  outputSchema: z.object(listenOutput),
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
};

/** Registers `mesh_listen_once`: the original's name for `mesh_listen`. */
export function registerListenOnceTool(server: McpServer, session: SessionContext): void {
  server.registerTool(
    "mesh_listen_once",
    CONFIG,
    (args, extra) => listenOnce(session, extra, args, "mesh_listen_once"),
  );
}
