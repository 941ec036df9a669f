/**
 * What command definitions get at run time as `ctx.lib`: the functions of
 * lib/mesh and of the other heavy modules they use. Loaded by the dispatcher
 * only to run a command, never for `--help` or `--version`.
 */
import { lazyImport } from "./lazy.ts";

export { Mesh } from "../../lib/mesh/mesh.ts";
export { openStore } from "../../lib/store/open.ts";
export { checkReplyKey, checkText } from "../../lib/mesh/validate.ts";
export { Keys } from "../../lib/mesh/keys.ts";
export {
  deregister,
  markListening,
  register,
  unmarkListening,
  who,
} from "../../lib/mesh/presence.ts";
export { nextDirect } from "../../lib/mesh/listen.ts";
export { CHASE_EVERY_MS, renewAndChase } from "../../lib/mesh/chase.ts";
export { appendNotify } from "../../lib/mesh/notify_log.ts";
export { Ledger } from "../../lib/mesh/ledger.ts";
export { selfCommand } from "../../lib/self.ts";
export { VERSION } from "../../lib/version.ts";
export { sendAndWait } from "../../lib/mesh/wait_state.ts";
export { eventsCursor, isMessageId, nextEvents, status, statuses } from "../../lib/mesh/states.ts";
export { eventLine, historyLine, statusLines } from "../../lib/mesh/view_lines.ts";
export { history } from "../../lib/mesh/history.ts";
export { removeAgent } from "../../lib/mesh/remove.ts";
export { checkEvent, parseHookInput, readStdin as readHookInput } from "../../lib/hooks/input.ts";
export { runHook } from "../../lib/hooks/run.ts";
export { askOf } from "../../lib/mesh/asks.ts";
export { loadConfig, userHome } from "../../lib/config.ts";
export { join } from "node:path";
export { agentFile, ensureHome } from "../../lib/paths.ts";

/** The MCP server over stdio. */
export function loadStdio(): Promise<typeof import("../../mcp/stdio.ts")> {
  return lazyImport("../../mcp/stdio.ts", import.meta.url);
}

/** The MCP server over HTTP. */
export function loadHttp(): Promise<typeof import("../../mcp/http/serve.ts")> {
  return lazyImport("../../mcp/http/serve.ts", import.meta.url);
}

/** Who may reach the HTTP server. */
export function loadGuard(): Promise<typeof import("../../mcp/http/guard.ts")> {
  return lazyImport("../../mcp/http/guard.ts", import.meta.url);
}

/** Per-agent tokens of serve --http. */
export function loadTokens(): Promise<typeof import("../../lib/tokens.ts")> {
  return lazyImport("../../lib/tokens.ts", import.meta.url);
}

/** What `setup` writes. */
export function loadSetup(): Promise<typeof import("./setup_kit.ts")> {
  return lazyImport("./setup_kit.ts", import.meta.url);
}

/** What `doctor` checks and prints. */
export function loadDoctor(): Promise<typeof import("./doctor_kit.ts")> {
  return lazyImport("./doctor_kit.ts", import.meta.url);
}

/** The functions above, as `ctx.lib`. */
export type Lib = typeof import("./lib.ts");
