/**
 * What the tools of one MCP session work with, passed to every registration so
 * that nothing is global: several sessions share one process and one mesh.
 */
import { UsageError } from "../lib/errors.ts";
import type { Mesh } from "../lib/mesh/mesh.ts";
import type { CallToolResult, RequestId } from "./sdk.ts";

/** The sender name of tools called without `from_agent` in a session bound to no agent. */
export const DEFAULT_SENDER = "mcp";

/** One session's view of the mesh. */
export interface SessionContext {
  /** The mesh, shared by every session of the process. */
  readonly mesh: Mesh;
  /** The agent this session acts as (`serve --as NAME`, `/mcp?as=NAME`), or undefined. */
  readonly agent?: string;
  /** Aborts when the session closes. */
  readonly signal: AbortSignal;
  /**
   * Resolves true once the response to `requestId` was handed to the client, and
   * false when it never will be (the call was cancelled or the session closed).
   */
  sent(requestId: RequestId, signal: AbortSignal): Promise<boolean>;
}

/**
 * The sender of a tool call: `from_agent`, else the session's agent, else "mcp".
 * A session bound to an agent sends as that agent only.
 */
export function sender(session: SessionContext, fromAgent: string | undefined): string {
  if (session.agent !== undefined && fromAgent !== undefined && fromAgent !== session.agent) {
    throw new UsageError(
      `Cannot send as "${fromAgent}": this session is agent "${session.agent}" (leave out from_agent)`,
    );
  }
  return fromAgent ?? session.agent ?? DEFAULT_SENDER;
}

/** A tool result: `doc` as structured content and the same JSON as text. */
export function structured<T extends Record<string, unknown>>(
  doc: T,
): CallToolResult & { structuredContent: T } {
  return { content: [{ type: "text", text: JSON.stringify(doc) }], structuredContent: doc };
}

/** Logs a failure of background work of a tool on stderr (never stdout: stdio carries protocol). */
export function logError(what: string, err: unknown): void {
  console.error(`agent-mesh serve: ${what}: ${(err as Error)?.message ?? String(err)}`);
}
