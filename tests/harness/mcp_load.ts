/**
 * Many idle MCP sessions at once, each blocked in `mesh_listen`: what the load
 * test and the benchmark measure. Needs no flag or setting on the server.
 */
import { type McpAgent, streamableAgent } from "./mcp_server.ts";

/** Idle sessions opened by `openListeningSessions`. */
export interface ListeningSessions extends AsyncDisposable {
  readonly agents: McpAgent[];
  /** The pending `mesh_listen` calls, by agent index (name `<prefix><index>`). */
  readonly listens: Promise<unknown>[];
  /** Cancels every listen and ends every session. */
  close(): Promise<void>;
}

/**
 * Opens `n` Streamable HTTP sessions on `base`, `batch` at a time, and starts a
 * `mesh_listen` of `timeoutS` in each for the agent `<prefix><index>`.
 */
export async function openListeningSessions(
  base: string,
  n: number,
  o: { prefix?: string; timeoutS?: number; batch?: number; headers?: Record<string, string> } = {},
): Promise<ListeningSessions> {
  const { prefix = "idle-", timeoutS = 300, batch = 10, headers = {} } = o;
  const agents: McpAgent[] = [];
  const listens: Promise<unknown>[] = [];
  const cancel = new AbortController();
  for (let i = 0; i < n; i += batch) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, () => streamableAgent(base, headers)),
    );
    for (const agent of opened) {
      const index = agents.push(agent) - 1;
      const listen = agent.call("mesh_listen", { name: `${prefix}${index}`, timeout_s: timeoutS }, {
        signal: cancel.signal,
        timeout: (timeoutS + 30) * 1000,
      });
      listen.catch(() => {}); // cancelled at close
      listens.push(listen);
    }
  }
  let closing: Promise<void> | null = null;
  const close = () =>
    closing ??= (async () => {
      cancel.abort();
      await Promise.all(agents.map((a) => a[Symbol.asyncDispose]()));
    })();
  return { agents, listens, close, [Symbol.asyncDispose]: close };
}
