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
  /** A bound session may read other agents' history and ledger (`serve --allow-views`). */
  readonly allowViews?: boolean;
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

/**
 * The agent name a tool acts on: any in a session bound to no agent; in a bound
 * session its own only, except read-only `view`s when the server allows them.
 */
export function ownName(
  session: SessionContext,
  name: string,
  o: { tool: string; view?: boolean },
): string {
  if (session.agent === undefined || name === session.agent) return name;
  if (o.view && session.allowViews) return name;
  throw new UsageError(
    `Cannot use ${o.tool} for "${name}": this session is agent "${session.agent}" and acts on its own name only${
      o.view ? " (serve --allow-views lets it read others)" : ""
    }`,
  );
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
